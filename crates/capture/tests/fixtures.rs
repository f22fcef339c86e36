//! Real captures copied into testdata/capture (see NOTICE there). Expected
//! counts and timestamps were taken from `capinfos -c -a -e` and
//! `tshark -T fields -e frame.time_epoch` (first/last in file order).

use reefwatch_capture::{CaptureError, CaptureReader};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/capture")
        .join(name)
}

struct Summary {
    packets: u64,
    first_ns: Option<i64>,
    last_ns: Option<i64>,
    bytes: u64,
    linktypes: Vec<u32>,
    error: Option<CaptureError>,
    format: &'static str,
}

fn read(name: &str) -> Summary {
    let mut r = CaptureReader::open(&fixture(name)).expect("open fixture");
    let format = r.format_name();
    let mut s = Summary {
        packets: 0,
        first_ns: None,
        last_ns: None,
        bytes: 0,
        linktypes: Vec::new(),
        error: None,
        format,
    };
    let mut last_off = 0;
    loop {
        match r.next_packet() {
            Ok(Some(p)) => {
                s.packets += 1;
                assert_eq!(p.index, s.packets);
                assert!(p.offset > last_off, "offsets increase");
                last_off = p.offset;
                assert!(p.data.len() as u64 <= reefwatch_capture::MAX_CAPLEN as u64);
                s.first_ns.get_or_insert(p.ts_ns);
                s.last_ns = Some(p.ts_ns);
                s.bytes += p.data.len() as u64;
                s.linktypes.push(p.linktype);
            }
            Ok(None) => break,
            Err(e) => {
                s.error = Some(e);
                break;
            }
        }
    }
    assert!(matches!(r.next_packet(), Ok(None)));
    s
}

fn check(name: &str, format: &str, packets: u64, first: Option<i64>, last: Option<i64>) -> Summary {
    let s = read(name);
    assert!(s.error.is_none(), "{name}: {:?}", s.error);
    assert_eq!(s.format, format, "{name}");
    assert_eq!(s.packets, packets, "{name}");
    assert_eq!(s.first_ns, first, "{name}");
    assert_eq!(s.last_ns, last, "{name}");
    s
}

#[test]
fn ethernet_pcap() {
    let s = check(
        "ether-bacnet.pcap",
        "pcap",
        45,
        Some(1_000_000_000),
        Some(45_000_000_000),
    );
    assert!(s.linktypes.iter().all(|&l| l == 1));
    assert_eq!(s.bytes, 3729); // sum of frame.cap_len (tshark)
}

#[test]
fn big_endian_pcap() {
    let s = check(
        "bigendian-smb.pcap",
        "pcap",
        9,
        Some(1_073_392_738_144_777_000),
        Some(1_073_392_738_243_616_000),
    );
    assert!(s.linktypes.iter().all(|&l| l == 1));
}

#[test]
fn nanosecond_pcap() {
    check(
        "nsec-vntag.pcap",
        "pcap-nsec",
        3,
        Some(1_342_606_813_729_856_830),
        Some(1_342_606_813_729_857_070),
    );
}

#[test]
fn linux_sll_pcap() {
    let s = check(
        "sll-irc-starttls.pcap",
        "pcap",
        20,
        Some(1_438_145_937_325_196_000),
        Some(1_438_145_942_248_343_000),
    );
    assert!(s.linktypes.iter().all(|&l| l == 113));
}

#[test]
fn raw_ip_pcaps() {
    let s = check(
        "rawip-payload-syn.pcap",
        "pcap",
        6,
        Some(1_567_174_416_436_962_000),
        Some(1_567_174_416_440_562_000),
    );
    assert!(s.linktypes.iter().all(|&l| l == 101));
    let s = check(
        "ipv4-dns-extended-rcode.pcap",
        "pcap",
        2,
        Some(1_753_342_170_000_756_000),
        Some(1_753_342_170_001_104_000),
    );
    assert!(s.linktypes.iter().all(|&l| l == 228));
}

#[test]
fn null_loopback_pcap() {
    let s = check(
        "null-dns-svcb.pcap",
        "pcap",
        2,
        Some(1_632_949_179_120_361_000),
        Some(1_632_949_179_120_700_000),
    );
    assert!(s.linktypes.iter().all(|&l| l == 0));
}

#[test]
fn gzip_pcap() {
    check(
        "gzip-iso-download.pcap.gz",
        "pcap",
        289,
        Some(1_708_505_656_503_033_000),
        Some(1_708_505_656_505_381_000),
    );
    let r = CaptureReader::open(&fixture("gzip-iso-download.pcap.gz")).unwrap();
    assert!(r.is_gzip());
    assert_eq!(r.input_len(), Some(7601));
}

#[test]
fn pcapng_two_interfaces_nanosecond_resolution() {
    // IDBs with if_tsresol = 9; the two interfaces' clocks differ by years.
    check(
        "pcapng-2if-nsec-profinet.pcapng",
        "pcapng",
        6,
        Some(1_375_458_865_681_666_000),
        Some(1_614_578_459_682_704_000),
    );
}

#[test]
fn pcapng_126_interfaces() {
    // 126 IDBs (Ethernet, LINUX_SLL, 274); all packets on interface 48.
    let s = check(
        "pcapng-126if-perpacket-ldap.pcapng",
        "pcapng",
        18,
        Some(1_725_966_494_956_327_000),
        Some(1_725_966_495_127_166_000),
    );
    assert!(s.linktypes.iter().all(|&l| l == 1));
}

#[test]
fn pcapng_two_sections() {
    // profinet (Ethernet, interface 1) followed by redis (NULL, interface 0
    // of the second section): interfaces are per section.
    let s = check(
        "two-sections.pcapng",
        "pcapng",
        12,
        Some(1_375_458_865_681_666_000),
        Some(1_747_342_625_663_256_000),
    );
    assert_eq!(s.linktypes, [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn empty_pcap_has_no_packets() {
    check("empty.pcap", "pcap", 0, None, None);
}

#[test]
fn truncated_pcap_delivers_all_complete_packets() {
    // ether-bacnet.pcap cut at 4000 bytes; capinfos reads 39 packets.
    let s = read("truncated-bacnet.pcap");
    assert_eq!(s.packets, 39);
    assert_eq!(s.last_ns, Some(39_000_000_000));
    let e = s.error.expect("truncation reported");
    assert!(matches!(e, CaptureError::Truncated { .. }));
    assert_eq!(e.offset(), Some(3974));
    assert_eq!(e.packet(), 40);
    let msg = e.to_string();
    assert!(msg.contains("truncated-bacnet.pcap: truncated: "), "{msg}");
    assert!(msg.ends_with("at byte offset 3974 (packet 40)"), "{msg}");
}

#[test]
fn text_file_is_not_a_capture() {
    let e = CaptureReader::open(&fixture("not-a-capture.txt")).unwrap_err();
    assert!(e.is_not_a_capture(), "{e}");
}

#[test]
fn expand_inputs_over_fixture_dir() {
    let dir = fixture("");
    let (files, errors) = reefwatch_capture::expand_inputs(&[dir]);
    // 13 captures; the text file is skipped silently inside a directory.
    assert_eq!(files.len(), 13, "{files:?}");
    assert!(errors.is_empty(), "{errors:?}");
    let names: Vec<_> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    // bacnet captures start at 1 s after the epoch; empty.pcap has no packet.
    assert!(names[0].contains("bacnet"), "{names:?}");
    assert_eq!(names.last().map(String::as_str), Some("empty.pcap"));
}
