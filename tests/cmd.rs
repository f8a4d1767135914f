//! The command line's contract as data: each `tests/cmd/*.toml` case is a command with its
//! input tree (`*.in/`), its expected standard output and error, its exit status and, where it
//! writes, the expected tree after the run (`*.out/`). `TRYCMD=overwrite cargo test --test cmd`
//! rewrites the expectations after an intended change (then read the diff).

#[test]
fn cli_cases() {
    trycmd::TestCases::new()
        .register_bin("affilint", trycmd::cargo::cargo_bin!("affilint"))
        .env("NO_COLOR", "1")
        .env("CI", "true")
        .case("tests/cmd/*.toml");
}
