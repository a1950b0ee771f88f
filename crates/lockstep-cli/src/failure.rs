//! Failures and the exit codes they map to.

use lockstep_io::ReadError;

/// Exit codes (also listed in the README).
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    /// Bad arguments (clap uses 2 for its own usage errors too).
    pub const USAGE: u8 = 2;
    pub const INPUT_UNREADABLE: u8 = 3;
    pub const BAD_INPUT: u8 = 4;
    pub const OUTPUT: u8 = 5;
}

/// An error with the exit code it maps to.
pub struct Failure {
    pub code: u8,
    pub err: anyhow::Error,
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            code: exit::FAILURE,
            err: e.into(),
        }
    }
}

pub fn with_code(code: u8) -> impl FnOnce(anyhow::Error) -> Failure {
    move |err| Failure { code, err }
}

pub fn read_error(e: ReadError) -> Failure {
    let code = if e.is_data_error() {
        exit::BAD_INPUT
    } else {
        exit::INPUT_UNREADABLE
    };
    Failure {
        code,
        err: e.into(),
    }
}
