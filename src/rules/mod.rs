//! Rule files: one TOML file per affiliate program, compiled once into an immutable
//! [`RuleSet`].
//!
//! The shipped files in `rules/` are built into the binary; users add or replace programs with
//! their own files (a file with the same `id` replaces the shipped one). Every key is checked:
//! an unknown key, a bad host, a bad regex or a bad template is refused with the file, line and
//! reason.

mod file;
mod program;
mod template;

use std::path::Path;

pub use program::Program;
pub(crate) use program::{RetiredHost, Tagging, TaggingMethod};
pub(crate) use template::Template;

use crate::errors::{RuleError, SourceSpot};
use crate::hosts::HostTable;

/// The rule files shipped with affilint (`rules/<name>.toml`), built into the binary.
macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        &[$((
            concat!("rules/", $name, ".toml"),
            include_str!(concat!("../../rules/", $name, ".toml")),
        )),*]
    };
}

const SHIPPED: &[(&str, &str)] = shipped![
    "amazon",
    "apple",
    "avantlink",
    "awin",
    "booking",
    "cj",
    "ebay",
    "ftc",
    "impact",
    "rakuten",
    "shareasale",
    "skimlinks",
    "viglink",
];

/// Every program affilint knows, compiled once and shared by every document.
///
/// ```
/// let rules = affilint::RuleSet::shipped();
/// let amazon = rules.program("amazon").unwrap();
/// assert!(amazon.hosts().iter().any(|h| h == "amazon.co.uk"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    programs: Vec<Program>,
}

impl RuleSet {
    /// The rules shipped with affilint.
    pub fn shipped() -> RuleSet {
        let mut set = RuleSet::default();
        for (origin, text) in SHIPPED {
            let program = Program::parse(origin, text)
                .unwrap_or_else(|e| panic!("shipped rule file is invalid: {e}"));
            set.add(program);
        }
        set
    }

    /// Adds a program; one with the same id is replaced.
    pub fn add(&mut self, program: Program) {
        self.programs.retain(|p| p.id != program.id);
        self.programs.push(program);
        self.programs.sort_by(|a, b| a.id.cmp(&b.id));
    }

    /// Adds every `*.toml` rule file in `dir` (not recursively, in name order); a program
    /// with a known id replaces it. Two files in `dir` with the same id are an error, and so
    /// is any file that does not parse: then nothing from `dir` is added.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), RuleError> {
        let unreadable = |e: std::io::Error| RuleError {
            spot: SourceSpot::whole(dir.display().to_string()),
            message: format!("cannot read the rules directory: {e}"),
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(unreadable)?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(unreadable)?;
        paths.retain(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file());
        paths.sort();
        let mut programs: Vec<Program> = Vec::new();
        for path in paths {
            let origin = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| RuleError {
                spot: SourceSpot::whole(&origin),
                message: format!("cannot read: {e}"),
            })?;
            let program = Program::parse(&origin, &text)?;
            if let Some(other) = programs.iter().find(|p| p.id == program.id) {
                return Err(RuleError {
                    spot: SourceSpot::at(&origin, &text, 0),
                    message: format!(
                        "program id `{}` is also defined in {}",
                        program.id, other.origin
                    ),
                });
            }
            programs.push(program);
        }
        for program in programs {
            self.add(program);
        }
        Ok(())
    }

    /// The program with this id.
    pub fn program(&self, id: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.id == id)
    }

    /// Every program, by id.
    pub fn programs(&self) -> impl Iterator<Item = &Program> {
        self.programs.iter()
    }

    /// Checks that no host belongs to two programs.
    pub(crate) fn check_overlaps(&self) -> Result<(), RuleError> {
        let mut owners: HostTable<&Program> = HostTable::default();
        for program in &self.programs {
            for host in program.hosts.iter().chain(&program.short_hosts) {
                let owner = owners.entry(host, || program);
                if owner.id != program.id {
                    return Err(RuleError {
                        spot: SourceSpot::whole(program.origin.clone()),
                        message: format!(
                            "host `{host}` belongs to both `{}` ({}) and `{}`; \
                             a host may belong to one program only",
                            owner.id, owner.origin, program.id
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_rule_file_is_listed_and_compiles() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| format!("rules/{}", e.unwrap().file_name().to_string_lossy()))
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let listed: Vec<String> = SHIPPED.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(
            on_disk, listed,
            "rules/ and SHIPPED must list the same files"
        );
        for (origin, text) in SHIPPED {
            let from_disk =
                std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(origin))
                    .unwrap();
            assert_eq!(&from_disk, text);
            Program::parse(origin, text).unwrap_or_else(|e| panic!("{e}"));
        }
        let set = RuleSet::shipped();
        set.check_overlaps().unwrap();
        for id in [
            "amazon",
            "ebay",
            "booking",
            "apple",
            "skimlinks",
            "awin",
            "cj",
            "impact",
            "rakuten",
            "viglink",
            "avantlink",
            "shareasale",
        ] {
            let program = set.program(id).unwrap_or_else(|| panic!("{id} is shipped"));
            assert!(!program.hosts().is_empty());
        }
    }

    #[test]
    fn amazon_lists_every_marketplace() {
        let set = RuleSet::shipped();
        let amazon = set.program("amazon").unwrap();
        for tld in [
            "com", "ca", "com.mx", "com.br", "co.uk", "de", "fr", "it", "es", "nl", "se", "pl",
            "com.be", "ie", "com.tr", "ae", "sa", "eg", "in", "co.jp", "com.au", "sg",
        ] {
            let host = format!("amazon.{tld}");
            assert!(amazon.hosts().contains(&host), "{host} missing");
        }
        for short in ["amzn.to", "a.co", "amzn.eu"] {
            assert!(amazon.short_hosts().iter().any(|h| h == short));
        }
    }

    const MINIMAL: &str = "id = \"shop\"\nname = \"Shop\"\nhosts = [\"shop.example\"]\n\
                           [tagging]\nmethod = \"query\"\nparams = [{ name = \"ref\", value = \"{id}\" }]\n";

    #[test]
    fn overlapping_hosts_are_refused() {
        let mut set = RuleSet::shipped();
        let copy = MINIMAL.replace("shop.example", "amazon.co.uk");
        set.add(Program::parse("mine.toml", &copy).unwrap());
        let err = set.check_overlaps().unwrap_err().to_string();
        assert!(err.contains("host `amazon.co.uk` belongs to both"), "{err}");
    }

    #[test]
    fn a_user_rule_replaces_the_shipped_one_with_the_same_id() {
        let mut set = RuleSet::shipped();
        let mine = MINIMAL.replace("\"shop\"", "\"amazon\"");
        set.add(Program::parse("mine.toml", &mine).unwrap());
        assert_eq!(set.program("amazon").unwrap().origin(), "mine.toml");
        assert_eq!(set.programs().filter(|p| p.id() == "amazon").count(), 1);
    }

    #[test]
    fn a_directory_is_added_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.toml"), MINIMAL).unwrap();
        std::fs::write(dir.path().join("b.toml"), MINIMAL).unwrap();
        let mut set = RuleSet::shipped();
        let err = set.add_dir(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("b.toml:1:1: program id `shop` is also defined in"),
            "{err}"
        );
        assert!(set.program("shop").is_none(), "nothing added");
        std::fs::remove_file(dir.path().join("b.toml")).unwrap();
        set.add_dir(dir.path()).unwrap();
        assert!(set.program("shop").is_some());
    }
}
