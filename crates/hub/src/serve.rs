//! Running the hub: TLS, listening, reloading metadata, and stopping on
//! SIGINT/SIGTERM: no new connections, in-flight requests finished (at
//! most [`DRAIN_LIMIT`]), start and stop logged on stderr.

use crate::config::{load_config, HubOptions};
use crate::error::{HubError, HubResult};
use crate::{bootstrap, open_store, server};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a stopping hub waits for in-flight requests.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(10);

fn load_tls(cert: &Path, key: &Path) -> HubResult<tokio_rustls::TlsAcceptor> {
    use tokio_rustls::rustls;
    let mut cr =
        std::io::BufReader::new(std::fs::File::open(cert).map_err(|e| HubError::io(cert, e))?);
    let certs = rustls_pemfile::certs(&mut cr)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| HubError::Tls(format!("{}: {e}", cert.display())))?;
    let mut kr =
        std::io::BufReader::new(std::fs::File::open(key).map_err(|e| HubError::io(key, e))?);
    let k = rustls_pemfile::private_key(&mut kr)
        .map_err(|e| HubError::Tls(format!("{}: {e}", key.display())))?
        .ok_or_else(|| HubError::Tls(format!("{}: no private key", key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut sc = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| HubError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, k)
        .map_err(|e| HubError::Tls(format!("{}: {e}", cert.display())))?;
    sc.max_early_data_size = 0; // no 0-RTT
    sc.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(sc)))
}

/// The signal's name once SIGINT or SIGTERM arrives.
async fn shutdown_signal() -> &'static str {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => "SIGINT", _ = term => "SIGTERM" }
}

/// Run the hub until SIGINT/SIGTERM.
pub async fn serve(o: HubOptions) -> HubResult<()> {
    serve_notify(o, None).await
}

/// [`serve`], sending the bound address once listening (benchmarks, tests).
pub async fn serve_notify(
    o: HubOptions,
    ready: Option<std::sync::mpsc::Sender<SocketAddr>>,
) -> HubResult<()> {
    // `stop` fires once, also when the signal comes during start-up; every
    // connection watches it
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let signal = tokio::spawn(async move {
        let name = shutdown_signal().await;
        eprintln!(
            "reefwatch hub: {name} received: stopping (in-flight requests finish, at most {} s)",
            DRAIN_LIMIT.as_secs()
        );
        let _ = stop_tx.send(true);
        Instant::now()
    });
    let cfg = load_config(&o)?;
    let addr: SocketAddr = cfg.listen.parse().map_err(|e| {
        HubError::config(format!("{e}"), format!("listen address {:?}", cfg.listen))
    })?;
    if cfg.tls.is_none() && !addr.ip().is_loopback() && !cfg.allow_plain_http {
        return Err(HubError::config(
            "TAXII requires HTTPS: give --tls-cert/--tls-key, listen on loopback, or pass --allow-plain-http for a lab",
            format!("refusing plain HTTP on {addr}"),
        ));
    }
    let tls = match &cfg.tls {
        Some((c, k)) => Some(load_tls(c, k)?),
        None => None,
    };
    let store = open_store(&cfg, o.config.is_some()).await?;
    if let Some(pw) = bootstrap(&*store).await? {
        println!("reefwatch hub: created user 'admin' with password: {pw}");
        println!(
            "reefwatch hub: (shown once; set REEFWATCH_ADMIN_PASSWORD on first start to choose it)"
        );
    }
    let st = server::AppState::new(store, cfg.settings.clone()).await?;
    let reload = {
        let st = st.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                st.reload().await;
            }
        })
    };
    let app = server::router(st.clone());
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| HubError::Runtime(format!("bind {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| HubError::Runtime(format!("bind {addr}: {e}")))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!(
        "reefwatch hub: backend {}, data {}",
        st.store.backend(),
        cfg.data.display()
    );
    println!("reefwatch hub: listening on {scheme}://{local}/taxii2/");
    eprintln!(
        "reefwatch hub: started (pid {}, version {}), {scheme}://{local}/taxii2/",
        std::process::id(),
        env!("CARGO_PKG_VERSION")
    );
    if let Some(r) = ready {
        let _ = r.send(local);
    }
    let mut conns = tokio::task::JoinSet::new();
    let mut stop = stop_rx.clone();
    loop {
        tokio::select! {
            r = listener.accept() => {
                let Ok((tcp, _)) = r else { continue };
                let _ = tcp.set_nodelay(true);
                let svc = app.clone();
                let acc = tls.clone();
                let stop = stop_rx.clone();
                conns.spawn(async move {
                    match acc {
                        None => serve_connection(tcp, svc, stop).await,
                        Some(acc) => {
                            let Ok(Ok(io)) = tokio::time::timeout(Duration::from_secs(10), acc.accept(tcp)).await else { return };
                            serve_connection(io, svc, stop).await
                        }
                    }
                });
            }
            _ = stop.wait_for(|s| *s) => break,
        }
        // reap finished connections
        while conns.try_join_next().is_some() {}
    }
    drop(listener);
    reload.abort();
    let since = signal.await.unwrap_or_else(|_| Instant::now());
    let open = conns.len();
    let drained = tokio::time::timeout(DRAIN_LIMIT, async {
        while conns.join_next().await.is_some() {}
    })
    .await
    .is_ok();
    if !drained {
        eprintln!(
            "reefwatch hub: {} connections still busy after {} s: closed",
            conns.len(),
            DRAIN_LIMIT.as_secs()
        );
        conns.abort_all();
    }
    eprintln!(
        "reefwatch hub: stopped ({open} open connections at the signal; {} ms)",
        since.elapsed().as_millis()
    );
    Ok(())
}

/// One HTTP/1.1 connection; on `stop`, it finishes the request in flight
/// and closes (idle keep-alive connections close at once).
async fn serve_connection<I>(io: I, svc: axum::Router, mut stop: tokio::sync::watch::Receiver<bool>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = hyper_util::rt::TokioIo::new(io);
    let hs = hyper_util::service::TowerToHyperService::new(svc);
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, hs);
    tokio::pin!(conn);
    if *stop.borrow() {
        conn.as_mut().graceful_shutdown();
    }
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.wait_for(|s| *s) => conn.as_mut().graceful_shutdown(),
    }
    let _ = conn.await;
}
