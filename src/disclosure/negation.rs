//! Negated earning clauses: "We don't earn a commission", "we never receive compensation",
//! "no commission is paid". A statement whose earning words are negated is not a disclosure.
//!
//! A negator (`not`, `n't`, `never`, ...) negates an earning word (`earn`, `commission`, ...)
//! that follows it within [`REACH`] words in the same clause; `no` and its like only the word
//! right after it ("no commission", but not "at no extra cost to you, we earn"); `nothing`
//! the earning word right before it ("we earn nothing", not "a commission and nothing else"),
//! German's `nicht` up to two words back ("verdienen wir nicht"), or forward as any
//! negator before the verb. Clauses end at
//! commas, semicolons, colons, brackets and sentence ends, so "Don't worry, we earn a
//! commission" is not negated. Words are matched as the tokenizer normalises them (lowercase,
//! apostrophes dropped: `don't` is `dont`).

/// How many words after a negator an earning word may come and still be negated by it.
pub(crate) const REACH: u8 = 3;

/// What a word can do in a negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Other,
    /// Negates an earning word up to [`REACH`] words after it: English, German, French,
    /// Italian and Spanish negators.
    Negator,
    /// Negates only the next word ("no commission", "keine Provision").
    Determiner,
    /// Follows what it negates, reaching this many words back ("we earn nothing").
    Trailing(u8),
    /// Says that the site earns.
    Earning,
}

/// One lookup per word: every page word read closely passes through here.
fn class(word: &str) -> Class {
    match word {
        "not" | "never" | "dont" | "doesnt" | "didnt" | "wont" | "cant" | "cannot" | "isnt"
        | "arent" | "wasnt" | "werent" | "neither" | "nor" | "nie" | "niemals" | "pas"
        | "jamais" | "non" | "mai" | "nunca" => Class::Negator,
        "no" | "zero" | "kein" | "keine" | "keinen" | "aucun" | "aucune" | "nessun" | "nessuna"
        | "ningún" | "ninguna" => Class::Determiner,
        "nothing" | "rien" | "nada" | "niente" => Class::Trailing(1),
        // `nicht` after the verb in German, before it otherwise: both.
        "nicht" | "nichts" => Class::Trailing(2),
        "earn" | "earns" | "earned" | "earning" | "earnings" | "receive" | "receives"
        | "received" | "get" | "gets" | "make" | "makes" | "made" | "pay" | "pays" | "paid"
        | "commission" | "commissions" | "compensation" | "compensated" | "money" | "fee"
        | "fees" | "income" | "revenue" | "profit" | "kickback" | "kickbacks" | "verdiene"
        | "verdienen" | "verdient" | "provision" | "provisionen" | "vergütung" | "gagne"
        | "gagnons" | "réalise" | "réalisons" | "ricevo" | "riceviamo" | "commissione"
        | "commissioni" | "guadagno" | "obtengo" | "obtenemos" | "comisión" | "comisiones"
        | "ingresos" => Class::Earning,
        _ => Class::Other,
    }
}

/// What a word is to the negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Neither a negator nor a negated earning word.
    Plain,
    /// A negator (`not`, `no`, ...).
    Negator,
    /// An earning word that a negator before it negates.
    Negated,
    /// A trailing negator that negates the earning word this many words back.
    NegatesBack(u8),
}

/// Follows the words of a text and says which earning words are negated.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Negation {
    /// How many more words the last negator reaches.
    reach: u8,
    /// How many words ago the clause's last earning word was, if any.
    since_earning: Option<u8>,
}

impl Negation {
    /// Takes the next word, or a clause or sentence boundary (`boundary`); says what the
    /// word is to the negation.
    pub(crate) fn word(&mut self, word: &str, boundary: bool) -> Role {
        if boundary {
            *self = Negation::default();
            return Role::Plain;
        }
        let class = class(word);
        let earning = class == Class::Earning;
        let back = self.since_earning.map(|n| n + 1);
        self.since_earning = if earning { Some(0) } else { back };
        let negated = self.reach > 0 && earning;
        let (reach, role) = match class {
            Class::Trailing(most) => match back {
                Some(back) if back <= most => {
                    (self.reach.saturating_sub(1), Role::NegatesBack(back))
                }
                // `nicht` before the verb.
                _ if most > 1 => (REACH, Role::Negator),
                _ => (self.reach.saturating_sub(1), Role::Plain),
            },
            Class::Negator => (REACH, Role::Negator),
            Class::Determiner => (1, Role::Negator),
            _ if negated => (self.reach - 1, Role::Negated),
            _ => (self.reach.saturating_sub(1), Role::Plain),
        };
        self.reach = reach;
        role
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The negated earning words of a sentence (words and boundaries split on spaces).
    fn negated(text: &str) -> Vec<&str> {
        let mut negation = Negation::default();
        let words: Vec<&str> = text.split(' ').collect();
        let mut out = Vec::new();
        for (i, w) in words.iter().enumerate() {
            match negation.word(w, matches!(*w, "," | ".")) {
                Role::Negated => out.push(*w),
                Role::NegatesBack(back) => out.push(words[i - usize::from(back)]),
                Role::Plain | Role::Negator => {}
            }
        }
        out
    }

    #[test]
    fn negators_reach_a_few_words_in_their_clause() {
        assert_eq!(
            negated("we dont earn commission from these links"),
            ["earn", "commission"]
        );
        assert_eq!(
            negated("we never receive a commission"),
            ["receive", "commission"]
        );
        assert_eq!(negated("we receive no compensation"), ["compensation"]);
        assert_eq!(
            negated("affiliate links do not pay us a commission"),
            ["pay"]
        );
        assert!(negated("dont worry , we earn a commission").is_empty());
        assert!(negated("we earn a commission at no extra cost to you").is_empty());
        assert!(negated("this does not change the price we earn a commission").is_empty());
        assert!(negated("not all links . we earn a commission").is_empty());
        assert_eq!(negated("wir erhalten keine provision"), ["provision"]);
        assert_eq!(negated("we earn nothing from them"), ["earn"]);
        assert_eq!(negated("als partner verdienen wir nicht"), ["verdienen"]);
        assert!(negated("we earn a commission , nothing more").is_empty());
        assert!(negated("we earn a small commission and nothing else").is_empty());
    }
}
