//! `lockstep serve`: live mode (see `lockstep-serve`).

use crate::failure::{exit, Failure};
use lockstep_serve::{ServeConfig, ServeError};

/// Serve until SIGINT or SIGTERM. A bad tokens file or data directory is a usage / input error.
pub fn serve(cfg: ServeConfig) -> Result<(), Failure> {
    lockstep_serve::run(cfg).map_err(|e| {
        let code = match &e {
            ServeError::Tokens { .. } | ServeError::Bind { .. } | ServeError::Config(_) => {
                exit::USAGE
            }
            ServeError::Segment { .. } => exit::BAD_INPUT,
            ServeError::Io { .. } => exit::INPUT_UNREADABLE,
            ServeError::Pass(_) => exit::FAILURE,
        };
        Failure {
            code,
            err: e.into(),
        }
    })
}
