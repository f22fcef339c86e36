//! Status resources (`/{root}/status/{id}/`): readable by the user who
//! made the request, and by administrators.

use super::{auth, AppState};
use crate::error::{taxii, HubError, HubResult};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

pub async fn status(
    State(st): State<Arc<AppState>>,
    Path((root, id)): Path<(String, String)>,
    h: HeaderMap,
) -> HubResult<Response> {
    let c = auth::begin(&st, &h, None).await?;
    c.root(&root)?;
    match st.store.get_status(id).await? {
        Some((owner, js)) if owner == c.user.name || c.user.admin => Ok(taxii(StatusCode::OK, js)),
        _ => Err(HubError::NotFound("status resource".into())),
    }
}
