//! affilint's behaviour tests, one binary: the CLI contract, the library API, fidelity.

mod cli;
mod cloaking;
mod corpus;
mod disclosure;
mod discovery;
mod ecosystem;
mod engine;
mod fidelity;
mod layers;
#[cfg(feature = "live")]
mod live;
mod markdown;
mod policies;
mod readme;
mod report;
mod robustness;
mod sources;
mod support;
mod writes;
