//! `lockstep serve`: live mode (see `lockstep-serve`).

use crate::failure::{exit, Failure};
use lockstep_serve::{ServeConfig, ServeError};

/// Serve until SIGINT or SIGTERM. A bad tokens file or data directory is a usage / input error.
/// `kafka` is (brokers, topic) when asked for; a build without the `kafka` feature refuses it.
#[cfg_attr(not(feature = "kafka"), allow(unused_mut))]
pub fn serve(
    mut cfg: ServeConfig,
    kafka: Option<(String, String)>,
    kafka_group: String,
) -> Result<(), Failure> {
    #[cfg(feature = "kafka")]
    {
        cfg.kafka = kafka.map(|(brokers, topic)| lockstep_serve::kafka::KafkaSource {
            brokers,
            topic,
            group: kafka_group,
        });
    }
    #[cfg(not(feature = "kafka"))]
    if kafka.is_some() {
        let _ = kafka_group;
        return Err(Failure {
            code: exit::USAGE,
            err: anyhow::anyhow!(
                "--kafka-brokers: this lockstep was built without Kafka support; build it with `cargo build --release -p lockstep-cli --features kafka`"
            ),
        });
    }
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
