//! Whether the branding colours an operator saves can be read: WCAG 2.x contrast between each
//! text colour and the surface it is drawn on, as the hosted onboarding page draws them.
//!
//! Decision (the reference names the colours, not where they are used): the hosted page draws its
//! steps on a white card over `backgroundColor`, so titles and body text (`titleColor`,
//! `textColor`) are read against white; button labels against their button. A save that sets a
//! pair below WCAG AA for normal text (4.5:1) is kept, and answered with a warning naming the
//! pair and its ratio; the page itself stays readable by drawing such text in [`readable`]'s
//! colour instead.

use crate::config::Branding;

/// WCAG 2.x AA for normal-size text.
pub const AA_NORMAL_TEXT: f64 = 4.5;

/// The hosted page's card, behind titles and text.
pub const CARD: &str = "#FFFFFF";

/// (text colour, the surface it is read on): a branding field, or [`CARD`].
pub const PAIRS: [(&str, &str); 4] =
    [("titleColor", CARD), ("textColor", CARD), ("buttonTextColor", "buttonColor"), ("secondaryButtonTextColor", "secondaryButtonColor")];

/// `#RGB`, `#RGBA`, `#RRGGBB` or `#RRGGBBAA` as RGB (an alpha channel is ignored: the colour is
/// judged as if opaque).
pub fn parse_hex(s: &str) -> Option<[u8; 3]> {
    let h = s.trim().strip_prefix('#')?;
    if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let digit = |i: usize| u8::from_str_radix(&h[i..=i], 16).ok();
    let pair = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
    match h.len() {
        3 | 4 => Some([digit(0)? * 17, digit(1)? * 17, digit(2)? * 17]),
        6 | 8 => Some([pair(0)?, pair(2)?, pair(4)?]),
        _ => None,
    }
}

/// WCAG 2.x relative luminance of an sRGB colour.
pub fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// The contrast ratio of two colours, from 1 (same) to 21 (black on white).
pub fn ratio(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The text colour the page draws on `background`: `wanted` when it reaches AA, else black or
/// white, whichever contrasts more.
pub fn readable(wanted: [u8; 3], background: [u8; 3]) -> [u8; 3] {
    if ratio(wanted, background) >= AA_NORMAL_TEXT {
        return wanted;
    }
    let (black, white) = ([0, 0, 0], [255, 255, 255]);
    if ratio(black, background) >= ratio(white, background) { black } else { white }
}

/// One warning per pair below AA where the operator set at least one of the two colours (the
/// reference's own defaults are not the operator's doing, and the page corrects them anyway).
pub fn warnings(branding: &Branding) -> Vec<String> {
    let set = |field: &str| branding.values.get(field).and_then(|v| v.as_deref());
    let effective = |field: &str| -> Option<String> {
        if field == CARD {
            return Some(CARD.to_string());
        }
        let default = crate::config::BRANDING_FIELDS.iter().find(|(name, _, _)| *name == field).and_then(|(_, d, _)| *d);
        match branding.values.get(field) {
            Some(v) => v.clone(),
            None => default.map(str::to_string),
        }
    };
    let mut out = Vec::new();
    for (text, surface) in PAIRS {
        if set(text).is_none() && (surface == CARD || set(surface).is_none()) {
            continue;
        }
        let (Some(fg), Some(bg)) = (effective(text), effective(surface)) else { continue };
        let (Some(f), Some(b)) = (parse_hex(&fg), parse_hex(&bg)) else { continue };
        let r = ratio(f, b);
        if r < AA_NORMAL_TEXT {
            let on = if surface == CARD { "the page's white card".to_string() } else { format!("{surface} {bg}") };
            out.push(format!(
                "contrast: {text} {fg} on {on} is {r:.2}:1, below WCAG AA's 4.5:1; the hosted page draws that text in black or white instead"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branding(pairs: &[(&str, &str)]) -> Branding {
        Branding { values: pairs.iter().map(|(k, v)| (k.to_string(), Some(v.to_string()))).collect() }
    }

    #[test]
    fn ratios_match_the_wcag_reference_values() {
        assert!((ratio([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
        assert!((ratio([255, 255, 255], [255, 255, 255]) - 1.0).abs() < 1e-9);
        // #767676 on white is the well-known lightest grey that passes AA (4.54:1).
        let grey = parse_hex("#767676").unwrap_or_default();
        assert!((ratio(grey, [255, 255, 255]) - 4.54).abs() < 0.01);
        assert_eq!(parse_hex("#fA0"), Some([255, 170, 0]));
        assert_eq!(parse_hex("#01236D80"), Some([1, 35, 109]));
        assert_eq!(parse_hex("white"), None);
    }

    #[test]
    fn a_saved_pair_below_aa_is_named_with_its_ratio_and_defaults_alone_warn_nothing() {
        assert!(warnings(&Branding::default()).is_empty(), "the reference's defaults are not the operator's doing");
        let w = warnings(&branding(&[("buttonColor", "#FFFF00"), ("buttonTextColor", "#FFFFFF"), ("textColor", "#000000")]));
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("contrast: buttonTextColor #FFFFFF on buttonColor #FFFF00 is 1.07:1"), "{w:?}");
        assert!(warnings(&branding(&[("textColor", "#767676"), ("buttonColor", "#000000"), ("buttonTextColor", "#FFFFFF")])).is_empty());
    }

    #[test]
    fn the_page_keeps_a_colour_that_passes_and_swaps_one_that_does_not() {
        assert_eq!(readable([0x76, 0x76, 0x76], [255, 255, 255]), [0x76, 0x76, 0x76]);
        assert_eq!(readable([255, 255, 255], [255, 255, 0]), [0, 0, 0]);
        assert_eq!(readable([0x01, 0x23, 0x6D], [0, 0, 0]), [255, 255, 255]);
    }
}
