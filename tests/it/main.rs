//! affilint's behaviour tests, one binary: the CLI contract, the library API, fidelity.

mod cli;
mod disclosure;
mod engine;
mod fidelity;
mod readme;
mod support;
