//! What each finding means, why it matters and how to fix it: the text behind
//! `affilint explain`, SARIF rule help and the hints under human output.

use super::FindingId;

/// One line on how to fix a finding.
pub(crate) fn help(id: FindingId) -> &'static str {
    match id {
        FindingId::UntaggedLink => "run `affilint fix` to add your id",
        FindingId::ForeignTag => "run `affilint fix` to put your id in its place",
        FindingId::ShortLink => {
            "replace the short link with the full product link; `affilint fix` then tags it"
        }
        FindingId::DeadShortLink => {
            "replace the short link with a link to a product that is still there"
        }
        FindingId::MissingRel => "run `affilint fix` to add rel=\"sponsored\"",
        FindingId::MissingDisclosure => {
            "add the program's statement above the first affiliate link, or set \
             [disclosure] insert and run `affilint fix`"
        }
        FindingId::MissingProgramStatement => {
            "add the program's own statement (the message quotes it) above the first link"
        }
        FindingId::IncompleteDisclosure => {
            "complete the statement; the message names the missing words"
        }
        FindingId::NegatedDisclosure => {
            "remove the sentence that says you earn nothing, and say that you do"
        }
        FindingId::HiddenDisclosure => {
            "move the statement out of hidden, collapsed or non-rendered content"
        }
        FindingId::InconspicuousDisclosure => {
            "show the statement in body-size type, in a colour that stands out from its background"
        }
        FindingId::LateDisclosure => "move the statement above the first affiliate link",
        FindingId::RetiredHost => "run `affilint fix` to move the link where its program is now",
        FindingId::CloakedLink => {
            "link to the program's URL directly, not through a redirect of your site"
        }
        FindingId::OpaqueLink => {
            "link to the destination directly, or declare the redirect in _redirects"
        }
        FindingId::StaticPrice => {
            "remove the price or rating, or show when it was fetched (\"as of <date time>\")"
        }
        FindingId::UnlabeledLink => "add one of the configured labels right after the link",
        FindingId::DistantDisclosure => "repeat the disclosure closer to the link",
    }
}

/// What a finding means, why it matters (with its source) and how to fix it.
pub(crate) fn explanation(id: FindingId) -> &'static str {
    match id {
        FindingId::UntaggedLink => {
            "A link goes to a program you have an id for (an Amazon product page, an eBay listing, \
a Booking.com hotel, a retailer a network such as Skimlinks or Awin wraps), but it does not carry \
your id.

Why it matters: the program cannot credit the sale to you. Amazon reads the id from the `tag` \
query parameter, eBay Partner Network from `campid`, Booking.com from `aid`; a redirect network \
needs its own URL around the retailer's. An untagged link earns nothing.

How to fix: `affilint fix` adds the id and keeps every other parameter, its order, escaping and \
the fragment. Set the id under [programs.<program>] in affilint.toml (or pass \
--tag amazon=yoursite-20). Amazon ids are per marketplace: set the others under \
[programs.amazon.marketplaces]."
        }
        FindingId::ForeignTag => {
            "A link to a program carries an id, but not yours: someone else's (often left over \
from a copied link or a guest post), or your id for another Amazon marketplace.

Why it matters: the commission goes to whoever owns that id. Amazon ids are valid only on their \
own marketplace (Amazon Associates Operating Agreement), so your .com id on an amazon.co.uk link \
earns nothing either.

How to fix: `affilint fix` replaces the id with yours for that marketplace. If the id is meant \
to be there (a friend's shop you link on purpose), mark the link with data-affilint-ignore."
        }
        FindingId::ShortLink => {
            "A short link (amzn.to, a.co, amzn.eu) points to a program's site. The id, if any, is \
inside the short link, and affilint works offline, so it cannot see or change it.

Why it matters: you cannot tell from the page whether the link carries your id, and Amazon asks \
that links not hide where they go (Associates Program Participation Requirements on cloaked and \
shortened links).

How to fix: replace it with the full product link (https://www.amazon.com/dp/ASIN); \
`affilint fix` then tags it. Or let affilint ask where it goes: `--expand-short-links` (online, \
answers kept in `--link-cache FILE` for offline runs)."
        }
        FindingId::DeadShortLink => {
            "A short link (amzn.to, a.co, amzn.eu) answers 404 or 410: it goes nowhere. affilint \
found out with --expand-short-links, or read it from the --link-cache file.

Why it matters: a reader who follows it lands on an error page, and nothing they buy after it \
is credited to you; the Associates Program Operating Agreement pays only for qualifying \
purchases made through links that reach Amazon's site.

How to fix: link to the product's current page (https://www.amazon.com/dp/ASIN), or to one \
that replaces it; `affilint fix` then tags it."
        }
        FindingId::MissingRel => {
            "An affiliate link has neither rel=\"sponsored\" nor rel=\"nofollow\".

Why it matters: Google asks that paid and affiliate links be marked rel=\"sponsored\" \
(rel=\"nofollow\" is also accepted); unmarked paid links can count against a site in search \
(Google Search Central, \"Qualify your outbound links\").

How to fix: `affilint fix` adds rel=\"sponsored\" (keeping any other rel values)."
        }
        FindingId::MissingDisclosure => {
            "The page has affiliate links and no statement that discloses them. A link is an \
affiliate link when it carries an id where its program puts one (Amazon's tag, eBay's campid, a \
network's id), or is a program's short link, whether or not your config has an id for it.

Why it matters: the FTC Endorsement Guides (16 CFR Part 255) require a clear and conspicuous \
disclosure of the material connection; Amazon's Operating Agreement (section 5) requires the \
statement \"As an Amazon Associate I earn from qualifying purchases.\" (or a substantially \
similar one) on any site with Amazon links. UK (ASA/CAP) and EU (UCPD) rules ask for the same.

How to fix: add each program's statement where readers see it before the first affiliate link, \
e.g. \"As an Amazon Associate I earn from qualifying purchases.\" Or set [disclosure] insert in \
affilint.toml and `affilint fix` inserts it on pages that lack one."
        }
        FindingId::IncompleteDisclosure => {
            "A disclosure statement starts but does not finish: it was cut off (a truncated \
footer, a template excerpt, a word limit) or a required part is missing. The message names the \
missing words.

Why it matters: a statement that stops mid-sentence (\"... by advertising and linking to\") does \
not say what Amazon's Operating Agreement requires, and the FTC asks for a disclosure readers \
understand; an incomplete one is treated as none.

How to fix: complete the statement, e.g. \"As an Amazon Associate I earn from qualifying \
purchases.\""
        }
        FindingId::MissingProgramStatement => {
            "The page tells readers it earns from its links (a general disclosure, \"we earn a \
commission ...\"), but not in the words a program it links to requires: Amazon asks every \
Associate for \"As an Amazon Associate I earn from qualifying purchases.\" or a substantially \
similar statement, one that names the Amazon Associates programme and says the site earns from \
qualifying purchases (in any person: I, we, the site's name; in the marketplace's language).

Why it matters: the Amazon Associates Operating Agreement (section 5, \"Identifying Yourself as \
an Associate\") makes that statement a condition of the programme; an account without it can be \
closed and its commissions withheld. The FTC's requirement is met, Amazon's is not.

How to fix: add the program's statement above the first affiliate link, e.g. \"As an Amazon \
Associate I earn from qualifying purchases.\" The README lists the statements accepted as \
similar and those refused. A statement of your own wording that Amazon accepted can go in \
[disclosure] statements in affilint.toml."
        }
        FindingId::NegatedDisclosure => {
            "A sentence that looks like a disclosure says the opposite: \"We don't earn a \
commission from these links\", \"we never receive compensation\", \"no commission is paid\"; \
yet the page's affiliate links carry an id (a tag, a campaign id, a short link), so someone \
earns from them.

Why it matters: the FTC Act (section 5) forbids deceptive statements, and the Endorsement Guides \
(16 CFR 255.5) ask that a material connection be disclosed: telling readers there is none when \
there is one is worse than saying nothing. A negated sentence is never counted as a disclosure.

How to fix: remove or correct the sentence and say that you earn from the links, e.g. \"As an \
Amazon Associate I earn from qualifying purchases.\" If the links really earn nothing, remove \
the ids from them."
        }
        FindingId::HiddenDisclosure => {
            "The only disclosure statement is where readers do not see it: in an HTML comment, \
<template> or <noscript>, or an element that is hidden, aria-hidden, screen-reader-only, in a \
closed <details>, or styled out of sight by the page's own CSS (inline styles, <style> blocks and, \
when a directory is checked, the site's linked stylesheets): display:none, visibility:hidden, \
opacity:0, font-size:0, positioned or indented off-screen, clipped to a pixel, zero height with \
overflow hidden, or text the colour of its own background. A style affilint cannot evaluate \
(var(), relative units, @media rules) counts as visible.

Why it matters: the FTC requires disclosures to be clear and conspicuous, not behind a click and \
not where readers will miss them (FTC, \".com Disclosures\" and the Endorsement Guides FAQ).

How to fix: move the statement into visible content above the first affiliate link."
        }
        FindingId::InconspicuousDisclosure => {
            "The disclosure statement is rendered but hard to read: its font size is under \
`[disclosure] min_font_px` (10 by default), or the contrast between its colour and its \
background is under `[disclosure] min_contrast` (3, WCAG's ratio for large text), both known \
from the page's own CSS. Unknown sizes and colours are not judged.

Why it matters: the FTC requires disclosures to be clear and conspicuous: \"a disclosure in \
small type, in a subtle color ... is not conspicuous\" (FTC, \".com Disclosures\", 2013, and the \
Endorsement Guides, 16 CFR 255.5). Amazon's Operating Agreement asks for the statement to be \
clear and conspicuous too.

How to fix: show the statement in the body text's size and colour, above the first link."
        }
        FindingId::RetiredHost => {
            "A link goes to a host its program no longer serves: smile.amazon.com (AmazonSmile, \
closed on 2023-02-20), or a network that moved its publishers elsewhere (ShareASale, to Awin). \
Rule files list such hosts under `retired_hosts`, with the host that replaces them if there is \
one.

Why it matters: a retired host may stop redirecting at any time; until then the visit may not \
be credited to you, and readers land on a notice instead of the product.

How to fix: `affilint fix` moves a link to the replacement host (smile.amazon.com becomes \
www.amazon.com), keeping its path, query and fragment, and then tags it as usual. Where there \
is no replacement, make the link again in the program's current tools."
        }
        FindingId::LateDisclosure => {
            "The page discloses its affiliate links, but only after the first one (in the \
footer, say).

Why it matters: the FTC says a disclosure must come before the link and close to the claim: \
\"placing it below your review or below the link\" is not good enough (FTC Endorsement Guides \
FAQ). Amazon also asks for the disclosure to be clear and conspicuous.

How to fix: move the statement (or a short one such as \"This post contains affiliate links; \
as an Amazon Associate I earn from qualifying purchases.\") above the first affiliate link. If \
your policy accepts a footer disclosure, set [disclosure] placement = \"anywhere\" or \
[severity] late-disclosure = \"off\"."
        }
        FindingId::CloakedLink => {
            "A link points to a page of your own site (`/go/kettle/`) that redirects to a \
program whose agreement forbids cloaked links (Amazon): a redirect page in the site (a \
`<meta http-equiv=\"refresh\">` page, as Hugo aliases and jekyll-redirect-from write) or a \
rule in the site's `_redirects` file (Netlify, Cloudflare Pages). On a live site (`affilint \
check https://...`), a link under a cloaking prefix (`/go/`, `/recommends/`, as WordPress link \
plugins make them) is asked of the site itself, and reported when the site sends it to such a \
program.

Why it matters: Amazon's Associates Program Policies and Participation Requirements do not \
allow links that hide that they go to Amazon; commissions earned through cloaked or \
redirected links may be withheld and the account closed (as publishers report Amazon's \
enforcement). Readers also cannot see where the link goes before they click (FTC, \
\".com Disclosures\").

How to fix: link to the program's URL itself (`https://www.amazon.com/dp/...?tag=yourid-20`) \
and remove the redirect. A rule file says its program forbids cloaking with \
`[policy] cloaking = \"forbidden\"`."
        }
        FindingId::OpaqueLink => {
            "A link goes through a third-party URL shortener (bit.ly, tinyurl.com, ...) or a \
cloaking prefix of a link plugin (`/go/`, `/recommends/`, ...; `[links] cloaking_prefixes`), \
and where it ends up cannot be seen in the site: no `_redirects` rule or redirect page says.

Why it matters: if it leads to Amazon, the link is cloaked, which Amazon's policies forbid \
(commissions through shorteners and hidden redirects are not paid); readers cannot see where \
they are sent; and affilint cannot check the id or the disclosure the link needs.

On a live site (`affilint check https://...`) the site itself is asked where such a link \
goes: it stays `opaque-link` only when robots.txt disallows asking, or the site answers with \
a page or an error instead of a redirect (the run's notes say which).

How to fix: link to the destination directly, or, for a redirect of your own, declare it in the \
site's `_redirects` file (or keep the redirect page in the built site) so `affilint check` can \
follow it. Set `[links] cloaking_prefixes = []` if your site has no such prefixes."
        }
        FindingId::StaticPrice => {
            "A price (\"$19.99\", \"€ 24,90\") or a star rating (\"4.5 out of 5 stars\", \
\"★★★★☆\") sits in the same block as a link of a program that forbids static ones (Amazon), or \
in the link's text, with no note of when it was fetched (\"as of 12 May 2026 10:00 UTC\").

Why it matters: Amazon's Associates Program Policies and the Product Advertising API license \
allow prices and ratings only as fetched from Amazon, refreshed at least every 24 hours and \
shown with the date and time they were fetched: a price typed into a post goes stale, and \
showing it breaks the agreement.

How to fix: remove the price or rating, show it from Amazon's API with its \"as of\" time, or \
link to \"see the price on Amazon\". If your prices come from the API with their time, set \
`[programs.amazon] prices = \"allowed\"`."
        }
        FindingId::UnlabeledLink => {
            "An affiliate link has none of the labels configured in `[disclosure] link_labels` \
(\"(paid link)\", \"#ad\", ...) in its text or right after it. Off unless the labels are \
configured.

Why it matters: Amazon asks for a disclosure next to each link where a page-level one may be \
missed (its link-level examples are \"(paid link)\" and \"#ad\"), and the FTC asks for \
disclosures close to the claim they qualify (\".com Disclosures\"). UK (ASA/CAP) guidance asks \
for an \"Ad\" label before readers engage.

How to fix: add one of the labels to the link text or right after the link, e.g. \
`<a href=...>kettle</a> (paid link)`."
        }
        FindingId::DistantDisclosure => {
            "An affiliate link comes more than `[disclosure] max_distance_words` words after the \
last disclosure statement on the page. Off unless that is set.

Why it matters: the FTC asks for a disclosure close to the claim and repeated on long pages \
(\".com Disclosures\": a reader who lands mid-page or scrolls past the top never sees one \
placed only there).

How to fix: repeat the disclosure (or a short label such as \"(paid link)\") near the links \
far down the page."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finding_says_what_why_and_how() {
        for &id in FindingId::ALL {
            let text = explanation(id);
            assert!(
                text.contains("Why it matters") && text.contains("How to fix"),
                "{id}: {text}"
            );
            assert!(!help(id).is_empty(), "{id}");
        }
    }
}
