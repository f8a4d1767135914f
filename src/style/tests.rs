use super::*;

fn look(style: &str) -> Look {
    inline_look(&parse_inline(style))
}

fn reads(styles: &[&str]) -> Readability {
    let looks: Vec<Look> = styles.iter().map(|s| look(s)).collect();
    readability(&looks, &Thresholds::default())
}

#[test]
fn inline_styles_that_hide_text_as_pages_write_them() {
    for (style, why) in [
        ("display:none", "display: none"),
        ("DISPLAY : None !important", "display: none"),
        ("visibility: hidden", "visibility: hidden"),
        ("opacity:0", "opacity: 0"),
        ("opacity: 0%", "opacity: 0"),
        ("font-size:0", "font-size: 0"),
        ("font-size: 0px", "font-size: 0"),
        ("position:absolute;left:-9999px", "positioned off-screen"),
        ("position: fixed; top: -10000px", "positioned off-screen"),
        ("text-indent:-9999px", "text-indent off-screen"),
        (
            "position:absolute;clip:rect(1px,1px,1px,1px)",
            "clipped to a pixel",
        ),
        ("position:absolute;clip:rect(0 0 0 0)", "clipped to a pixel"),
        ("clip-path: inset(50%)", "clip-path: inset(50%)"),
        (
            "height:0;overflow:hidden",
            "zero height with overflow: hidden",
        ),
        (
            "max-height: 0px; overflow-y: hidden",
            "zero height with overflow: hidden",
        ),
        (
            "color:#fff;background-color:#fff",
            "text the colour of its background",
        ),
        (
            "color: white; background: #FFFFFF",
            "text the colour of its background",
        ),
    ] {
        assert_eq!(reads(&[style]), Readability::Hidden(why), "{style}");
    }
}

#[test]
fn what_a_descendant_may_undo_is_judged_on_the_text() {
    // The whitespace trick of inline-block layouts: the text inside sets its own size.
    assert_eq!(reads(&["font-size:0", "font-size:14px"]), Readability::Seen);
    assert_eq!(
        reads(&["visibility:hidden", "visibility:visible"]),
        Readability::Seen
    );
    assert_eq!(
        reads(&["text-indent:-9999px", "text-indent:0"]),
        Readability::Seen
    );
    assert_eq!(
        reads(&["font-size:0", "color:red"]),
        Readability::Hidden("font-size: 0")
    );
    // A box that is not rendered hides all in it.
    assert_eq!(
        reads(&["display:none", "display:block"]),
        Readability::Hidden("display: none")
    );
    // Invalid values are dropped, as browsers drop them.
    assert_eq!(reads(&["font-size:-1px"]), Readability::Seen);
    assert_eq!(reads(&["height:-1px;overflow:hidden"]), Readability::Seen);
    // A height or text indent does nothing to an inline element.
    let span = look("height:0;overflow:hidden").on(b"span");
    assert_eq!(
        readability([&span], &Thresholds::default()),
        Readability::Seen
    );
    let block = look("display:block;height:0;overflow:hidden").on(b"SPAN");
    assert!(block.hides_box());
}

#[test]
fn what_does_not_hide_stays_seen() {
    for style in [
        "display:block",
        "display: none-ish",
        "opacity: .9",
        "left:-9999px",
        "position:absolute;left:-20px",
        "height:0",
        "overflow:hidden",
        "position:absolute;clip:rect(0 200px 100px 0)",
        "font-size: 1.2em",
        "font-size: var(--small)",
        "color:#fff",
        "color: var(--bg); background: var(--bg)",
        "color:#fff; background: #fff url(x.png)",
        "margin: 0; padding: 0",
        "color: #333; background: white",
        "this is not css {",
    ] {
        assert_eq!(reads(&[style]), Readability::Seen, "{style}");
    }
}

#[test]
fn small_or_faint_text_is_rendered_but_hard_to_read() {
    let faint = |styles: &[&str]| matches!(reads(styles), Readability::Faint(_));
    assert!(faint(&["font-size: 8px"]));
    assert!(faint(&["font-size: 6pt"]));
    assert!(faint(&["font-size: xx-small"]));
    assert!(!faint(&["font-size: 10px"]));
    assert!(faint(&["color: #eee; background: #fff"]));
    assert!(faint(&["background: #fff", "color: #ddd"]));
    assert!(!faint(&["background: #fff", "color: #767676"]));
    // The nearest background counts; a transparent one shows the one behind it.
    assert!(faint(&[
        "background:#000",
        "background: transparent",
        "color:#222"
    ]));
    assert!(!faint(&[
        "background:#000",
        "background:#fff",
        "color:#222"
    ]));
    // An inner size replaces an outer one; an unknown one is not judged.
    assert!(!faint(&["font-size: 8px", "font-size: 16px"]));
    assert!(!faint(&["font-size: 8px", "font-size: 2em"]));
    match reads(&["font-size: 7px"]) {
        Readability::Faint(why) => assert_eq!(why, "its font size is 7px, under 10px"),
        other => panic!("{other:?}"),
    }
}

/// An element for selector tests: a name and its attributes.
struct El(&'static str, &'static [(&'static str, &'static str)]);

impl Node for El {
    fn name(&self) -> &[u8] {
        self.0.as_bytes()
    }
    fn attribute(&self, name: &[u8]) -> Option<&[u8]> {
        self.1
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_bytes())
    }
}

/// The look `sheet` gives `node` inside `ancestors` (innermost first).
fn styled(sheet: &Sheet, node: &El, ancestors: &[&El]) -> Look {
    let ancestors: Vec<&dyn Node> = ancestors.iter().map(|a| *a as &dyn Node).collect();
    let rules = sheet.candidates(node);
    Look::of(
        rules
            .iter()
            .filter(|rule| rule.matches(node, &ancestors))
            .flat_map(|rule| rule.weighted(0)),
    )
}

#[test]
fn selectors_match_by_type_class_id_attribute_descendant_and_child() {
    let sheet = Sheet::parse(
        "/* theme */ .x{display:none} #legal{opacity:0} footer .fine{font-size:8px}
         .tabs > .panel{display:none} [data-state=closed]{visibility:hidden}
         a:hover{display:none} .y + .z{display:none} @media print{.print-only{display:none}}
         p{color:#333}",
    );
    let hidden = |node: &El, ancestors: &[&El]| styled(&sheet, node, ancestors).hidden;
    assert_eq!(
        hidden(&El("div", &[("class", "note x")]), &[]),
        Some("display: none")
    );
    assert_eq!(hidden(&El("div", &[("class", "X")]), &[]), None);
    assert_eq!(
        hidden(&El("p", &[("id", "legal")]), &[]),
        Some("opacity: 0")
    );
    assert_eq!(
        styled(&sheet, &El("div", &[("data-state", "closed")]), &[]).invisible,
        Known::Is(true)
    );
    let panel = El("div", &[("class", "panel")]);
    let tabs = El("div", &[("class", "tabs")]);
    let wrapper = El("div", &[]);
    assert_eq!(hidden(&panel, &[&tabs]), Some("display: none"));
    assert_eq!(hidden(&panel, &[&wrapper, &tabs]), None);
    assert_eq!(hidden(&panel, &[]), None);
    let fine = El("span", &[("class", "fine")]);
    let footer = El("FOOTER", &[]);
    assert_eq!(
        styled(&sheet, &fine, &[&wrapper, &footer]).font,
        Known::Is(8.0)
    );
    assert_eq!(styled(&sheet, &fine, &[&wrapper]).font, Known::Unset);
    // Pseudo-classes, sibling combinators and @media rules may or may not apply: left out.
    assert_eq!(hidden(&El("a", &[]), &[]), None);
    assert_eq!(hidden(&El("p", &[("class", "z")]), &[]), None);
    assert_eq!(hidden(&El("p", &[("class", "print-only")]), &[]), None);
}

#[test]
fn the_cascade_weighs_importance_inline_specificity_and_order() {
    let sheet = Sheet::parse(
        "#a{display:block} .b{display:none} .c{display:none} .c{display:block}
         .d{display:none !important} div.e{display:none} .e{display:block}",
    );
    let hidden = |attrs: &'static [(&'static str, &'static str)]| {
        styled(&sheet, &El("div", attrs), &[]).hidden
    };
    assert_eq!(hidden(&[("id", "a"), ("class", "b")]), None);
    // Colours beyond what hue can hold are unknown, never a panic.
    assert_eq!(
        look("color:hsl(1e39,50%,50%);background:#fff").color,
        Known::Unknown
    );
    assert_eq!(hidden(&[("class", "c")]), None);
    assert_eq!(
        hidden(&[("id", "a"), ("class", "d")]),
        Some("display: none")
    );
    assert_eq!(hidden(&[("class", "e")]), Some("display: none"));
    // Inline beats the sheet, unless the sheet's declaration is important.
    let node = El("div", &[("class", "b")]);
    let inline = parse_inline("display: block");
    let rules = sheet.candidates(&node);
    let weighted = rules
        .iter()
        .flat_map(|rule| rule.weighted(0))
        .chain(inline.iter().map(|declaration| Weighted {
            declaration,
            inline: true,
            specificity: 0,
            order: (0, 0),
        }));
    assert_eq!(Look::of(weighted).hidden, None);
}

#[test]
fn sheets_keep_only_rules_that_matter() {
    assert!(Sheet::parse("body{margin:0} a{text-decoration:none}").is_empty());
    let conditional = Sheet::parse("@media (max-width:600px){.x{display:block}} .x{display:none}");
    assert_eq!(
        styled(&conditional, &El("p", &[("class", "x")]), &[]).hidden,
        None
    );
    assert!(!Sheet::parse(".a{color:} .b{{}} .x{display:none}").is_empty());
}

#[test]
fn only_the_rules_that_name_the_elements_are_taken_from_a_large_sheet() {
    let css = b"/* { */ @import url(x.css); .site-footer .fine{font-size:8px}
        @media (max-width:40px){.fine{display:none}} .finer{display:none}
        footer{color:#777;background:#fff} #legal,.other{opacity:0} [hidden]{display:none}";
    let footer = El("footer", &[("class", "site-footer")]);
    let p = El("P", &[("class", "fine"), ("id", "legal")]);
    let names = Names::of(&[&p as &dyn Node, &footer]);
    let rules = Rules::new(css).naming(css, &names, true, false).0;
    assert!(
        rules.contains(".site-footer .fine{font-size:8px}"),
        "{rules}"
    );
    assert!(
        rules.contains("footer{color:#777;background:#fff}"),
        "{rules}"
    );
    assert!(rules.contains("#legal,.other{opacity:0}"), "{rules}");
    assert!(rules.contains("[hidden]"), "{rules}");
    assert!(!rules.contains(".finer"), "{rules}");
    assert!(!rules.contains("@media"), "{rules}");
    assert!(!rules.contains("@import"), "{rules}");
    // Braces that do not balance: nothing is taken.
    assert_eq!(
        Rules::new(b".fine{display:none")
            .naming(b".fine{display:none", &names, true, false)
            .0,
        ""
    );
    assert_eq!(
        Rules::new(b".fine{display:none}}")
            .naming(b".fine{display:none}}", &names, true, false)
            .0,
        ""
    );
    assert_eq!(
        {
            let css = b".x::before{content:'}'} .fine{display:none}";
            Rules::new(css).naming(css, &names, true, false).0
        },
        ""
    );
    // Rules that set nothing affilint reads are never taken; colours only with `colours`.
    let css = b".fine{margin:0} .fine{color:#eee} body{background:#fff}";
    let rules = Rules::new(css);
    assert!(rules.sets_background());
    assert_eq!(rules.naming(css, &names, false, false).0, "");
    assert_eq!(
        rules.naming(css, &names, true, false).0,
        ".fine{margin:0}\n .fine{color:#eee}\n"
    );
    let css = b".fine{margin:0} .fine{color:#eee}";
    assert!(!Rules::new(css).may_hide(true));
    assert!(Rules::new(b"body{background:#fff}").sets_background());
}
