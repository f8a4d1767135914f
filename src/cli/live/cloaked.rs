//! Links under a cloaking prefix (`/go/kettle/`, as WordPress link plugins make them) on a
//! live site: the site itself is asked where each goes, once per run, within robots.txt,
//! and never followed off the site, so the link is judged by its destination
//! (`cloaked-link` when that is a program that forbids cloaking) instead of staying
//! `opaque-link`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use url::Url;

/// The most distinct cloaked links a run asks about.
pub(super) const MAX_ASKS: usize = 10_000;

/// What the site said of one cloaked link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Answer {
    /// It redirects there.
    To(String),
    /// Not asked: robots.txt disallows it, or could not be read.
    NotAsked,
    /// Asked, and no redirect the check could follow came back (a page, an error, a
    /// redirect to a page robots.txt disallows): why.
    Unanswered(String),
}

/// The answers of a run, each link asked once however many pages hold it.
pub(super) struct Cloaked {
    answers: Mutex<HashMap<Url, Arc<OnceLock<Answer>>>>,
    /// The most distinct links asked about.
    most: usize,
    /// Links not asked about because the bound was reached.
    over: AtomicUsize,
}

impl Cloaked {
    pub(super) fn new(most: usize) -> Cloaked {
        Cloaked {
            answers: Mutex::new(HashMap::new()),
            most,
            over: AtomicUsize::new(0),
        }
    }

    /// Where `link` goes, asking `ask` the first time; a second page with the link waits for
    /// the first one's answer. `before_waiting` runs first whenever there is no answer yet
    /// (the page sets the rest of its body aside). `None` past the bound.
    pub(super) fn answer(
        &self,
        link: &Url,
        before_waiting: impl FnOnce(),
        ask: impl FnOnce() -> Answer,
    ) -> Option<Answer> {
        let cell = {
            let mut answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
            match answers.get(link) {
                Some(cell) => cell.clone(),
                None if answers.len() >= self.most => {
                    self.over.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
                None => answers.entry(link.clone()).or_default().clone(),
            }
        };
        if let Some(answer) = cell.get() {
            return Some(answer.clone());
        }
        before_waiting();
        // No lock is held while the site is asked: other links are asked meanwhile.
        Some(cell.get_or_init(ask).clone())
    }

    /// What there is to say once the run is over.
    pub(super) fn notes(&self) -> Vec<String> {
        let answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        let mut disallowed = Vec::new();
        let mut unanswered = Vec::new();
        for (link, answer) in answers.iter() {
            match answer.get() {
                Some(Answer::NotAsked) => disallowed.push(link.to_string()),
                Some(Answer::Unanswered(why)) => unanswered.push(format!("{link}: {why}")),
                _ => {}
            }
        }
        let mut notes = Vec::new();
        if !answers.is_empty() {
            notes.push(format!(
                "{} link(s) under a cloaking prefix on the site: {} asked where they go",
                answers.len(),
                answers.len() - disallowed.len()
            ));
        }
        if !disallowed.is_empty() {
            disallowed.sort();
            notes.push(format!(
                "{} of them not asked: robots.txt disallows them, or could not be read \
                 (they stay opaque-link), first: {}",
                disallowed.len(),
                disallowed[0]
            ));
        }
        if !unanswered.is_empty() {
            unanswered.sort();
            notes.push(format!(
                "{} of them led to no redirect the check could follow, a page or an error \
                 (they stay opaque-link), first: {}",
                unanswered.len(),
                unanswered[0]
            ));
        }
        let over = self.over.load(Ordering::Relaxed);
        if over > 0 {
            notes.push(format!(
                "{over} time(s) a link under a cloaking prefix was not asked about: a run asks \
                 about {} distinct ones at most (they stay opaque-link)",
                self.most
            ));
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_link_is_asked_once_and_the_bound_holds() {
        let cloaked = Cloaked::new(2);
        let url = |p: &str| Url::parse(&format!("https://blog.example{p}")).unwrap();
        let asked = AtomicUsize::new(0);
        let ask = |answer: Answer| {
            asked.fetch_add(1, Ordering::Relaxed);
            answer
        };
        let to = Answer::To("https://www.amazon.com/dp/B0".to_owned());
        assert_eq!(
            cloaked.answer(&url("/go/a/"), || {}, || ask(to.clone())),
            Some(to.clone())
        );
        assert_eq!(
            cloaked.answer(&url("/go/a/"), || {}, || ask(Answer::NotAsked)),
            Some(to),
            "the first answer is kept"
        );
        assert_eq!(
            cloaked.answer(&url("/go/b/"), || {}, || ask(Answer::NotAsked)),
            Some(Answer::NotAsked)
        );
        assert_eq!(
            cloaked.answer(&url("/go/c/"), || {}, || ask(Answer::NotAsked)),
            None
        );
        assert_eq!(asked.load(Ordering::Relaxed), 2);
        let notes = cloaked.notes().join("\n");
        for said in [
            "2 link(s) under a cloaking prefix on the site: 1 asked where they go",
            "1 of them not asked: robots.txt disallows them, or could not be read",
            "first: https://blog.example/go/b/",
            "1 time(s) a link under a cloaking prefix was not asked about: a run asks about 2",
        ] {
            assert!(notes.contains(said), "{said}: {notes}");
        }
    }
}
