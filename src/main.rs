//! The `affilint` command-line tool; see `affilint --help` and the README.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
