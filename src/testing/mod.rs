//! Helpers for tests and benchmarks: real components on loopback, never
//! mocks. Kept in the library so integration tests, benchmarks and later
//! end-to-end harnesses share one implementation.

pub mod api;
pub mod etcd;
pub mod keelson;
pub mod node_simulator;
pub mod poll;
pub mod ports;

pub use etcd::EtcdServer;
pub use keelson::KeelsonProcess;
pub use node_simulator::{NodeSimulator, SimulatorOptions};
pub use poll::poll_until;
pub use ports::free_loopback_port;
