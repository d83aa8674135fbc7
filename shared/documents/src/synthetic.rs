//! Synthetic identity documents with real zone typography: a TD3 passport data page in the OCR-B
//! font, with a face photo, printed fields and a zone whose check digits are computed for its
//! fields. The tests and the benchmark read them back; an operator can make sample documents with
//! them without handling anyone's real passport. The font comes from Debian's `fonts-ocr-b`
//! (scripts/fetch-models puts it in .cache/fonts).

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::{Rgb, RgbImage};

/// The fields of a TD3 zone, as the zone writes them (dates `YYMMDD`, names in capitals).
pub struct Td3<'a> {
    pub surname: &'a str,
    pub given: &'a str,
    pub number: &'a str,
    pub nationality: &'a str,
    pub birth: &'a str,
    pub sex: char,
    pub expiry: &'a str,
}

/// The ICAO check digit of `field` (`<` for a field that is not zone text, which then never
/// validates).
fn digit(field: &str) -> char {
    mrz::check_digit(field).ok().and_then(|d| char::from_digit(d, 10)).unwrap_or('<')
}

/// The two lines of a TD3 zone for these fields, every check digit computed.
pub fn td3(f: &Td3) -> [String; 2] {
    let names = format!("{}<<{}", f.surname.replace(' ', "<"), f.given.replace(' ', "<"));
    let line1: String = format!("P<{}{names:<<39}", f.nationality).chars().take(44).collect();
    let number = format!("{:<<9}", f.number);
    let personal = "<".repeat(14);
    let (dn, db, de, dp) = (digit(&number), digit(f.birth), digit(f.expiry), digit(&personal));
    let composite = digit(&format!("{number}{dn}{}{db}{}{de}{personal}{dp}", f.birth, f.expiry));
    let line2 = format!("{number}{dn}{}{}{db}{}{}{de}{personal}{dp}{composite}", f.nationality, f.birth, f.sex, f.expiry);
    [line1, line2]
}

/// Draws `text` with its top-left at (`x`, `y`), `px` high, dark on the page.
fn draw(page: &mut RgbImage, font: &FontRef, px: f32, x: f32, y: f32, text: &str) {
    let scaled = font.as_scaled(PxScale::from(px));
    let mut caret = x;
    for ch in text.chars() {
        let mut glyph = scaled.scaled_glyph(ch);
        glyph.position = point(caret, y + scaled.ascent());
        caret += scaled.h_advance(glyph.id);
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let (px, py) = (bounds.min.x as i64 + i64::from(gx), bounds.min.y as i64 + i64::from(gy));
                if px >= 0 && py >= 0 && (px as u32) < page.width() && (py as u32) < page.height() {
                    let p = page.get_pixel_mut(px as u32, py as u32);
                    for c in 0..3 {
                        p[c] = (f32::from(p[c]) * (1.0 - coverage) + 20.0 * coverage) as u8;
                    }
                }
            });
        }
    }
}

/// A passport data page (1250×880) in `font` (OCR-B's bytes): the `face` photo, printed fields,
/// and `zone` at the bottom.
pub fn passport_page(font: &[u8], face: &RgbImage, zone: &[String; 2]) -> Result<RgbImage, String> {
    let font = FontRef::try_from_slice(font).map_err(|e| format!("not a font: {e}"))?;
    let mut page =
        RgbImage::from_fn(1250, 880, |x, y| if x < 8 || y < 8 || x > 1241 || y > 871 { Rgb([60, 80, 110]) } else { Rgb([236, 232, 222]) });
    let h = 430;
    let w = (face.width() * h / face.height().max(1)).max(1);
    let photo = image::imageops::resize(face, w, h, image::imageops::FilterType::CatmullRom);
    image::imageops::replace(&mut page, &photo, 60, 150);
    draw(&mut page, &font, 34.0, 60.0, 40.0, "PASSPORT");
    let surname = zone[0].get(5..).and_then(|n| n.split("<<").next()).unwrap_or_default().replace('<', " ");
    let given = zone[0].get(5..).and_then(|n| n.split("<<").nth(1)).unwrap_or_default().replace('<', " ");
    for (i, (label, value)) in
        [("Surname", surname.as_str()), ("Given names", given.as_str()), ("Document no.", zone[1].get(..9).unwrap_or_default())]
            .iter()
            .enumerate()
    {
        let y = 160.0 + i as f32 * 100.0;
        draw(&mut page, &font, 20.0, 420.0, y, label);
        draw(&mut page, &font, 30.0, 420.0, y + 30.0, value.trim_end_matches('<'));
    }
    draw(&mut page, &font, 40.0, 40.0, 700.0, &zone[0]);
    draw(&mut page, &font, 40.0, 40.0, 770.0, &zone[1]);
    Ok(page)
}

/// The printed fields of a synthetic driver's licence (no machine-readable zone).
#[derive(Debug, Clone)]
pub struct Licence<'a> {
    /// Printed across the top, e.g. `REPUBLICA DE COLOMBIA`.
    pub issuer: &'a str,
    pub surname: &'a str,
    pub given: &'a str,
    pub number: &'a str,
    /// As printed, e.g. `21/05/1969`.
    pub birth: &'a str,
    pub issued: &'a str,
    pub expiry: &'a str,
}

/// A driver's licence card (1000×630) in `font`: the issuer and title on top, the `face` photo on
/// the left, numbered labels in small print with each value below it, as on EU-style licences.
pub fn licence_card(font: &[u8], face: &RgbImage, l: &Licence) -> Result<RgbImage, String> {
    let font = FontRef::try_from_slice(font).map_err(|e| format!("not a font: {e}"))?;
    let mut card =
        RgbImage::from_fn(1000, 630, |x, y| if x < 6 || y < 6 || x > 993 || y > 623 { Rgb([40, 90, 70]) } else { Rgb([226, 238, 230]) });
    let h = 360;
    let w = (face.width() * h / face.height().max(1)).max(1);
    let photo = image::imageops::resize(face, w.min(300), h, image::imageops::FilterType::CatmullRom);
    image::imageops::replace(&mut card, &photo, 40, 170);
    draw(&mut card, &font, 30.0, 40.0, 30.0, l.issuer);
    draw(&mut card, &font, 24.0, 40.0, 80.0, "LICENCIA DE CONDUCCION");
    let fields = [
        ("1. Apellidos", l.surname),
        ("2. Nombres", l.given),
        ("3. Fecha de nacimiento", l.birth),
        ("4a. Expedicion", l.issued),
        ("4b. Vence", l.expiry),
        ("5. No.", l.number),
    ];
    for (i, (label, value)) in fields.iter().enumerate() {
        let y = 160.0 + i as f32 * 72.0;
        draw(&mut card, &font, 17.0, 400.0, y, label);
        draw(&mut card, &font, 27.0, 400.0, y + 26.0, value);
    }
    Ok(card)
}

/// A company document (a certificate of incorporation, a tax registration, a bank letter: no zone,
/// no photo) as a 1200×850 page in `font`: a `title` and then `lines` of print, each a label and a
/// value on one line. Tests read it back through the same engine as a real scan.
pub fn company_page(font: &[u8], title: &str, lines: &[(&str, &str)]) -> Result<RgbImage, String> {
    let font = FontRef::try_from_slice(font).map_err(|e| format!("not a font: {e}"))?;
    let mut page =
        RgbImage::from_fn(1200, 850, |x, y| if x < 10 || y < 10 || x > 1189 || y > 839 { Rgb([90, 90, 90]) } else { Rgb([250, 250, 246]) });
    draw(&mut page, &font, 36.0, 60.0, 50.0, title);
    for (i, (label, value)) in lines.iter().enumerate() {
        let y = 160.0 + i as f32 * 90.0;
        draw(&mut page, &font, 22.0, 60.0, y, label);
        draw(&mut page, &font, 30.0, 60.0, y + 32.0, value);
    }
    Ok(page)
}
