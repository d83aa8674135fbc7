//! Text off a document image, in pure Rust: PP-OCRv4 text detection (DBNet) finds the lines, and
//! PP-OCRv4 recognition (SVTR-LCNet, CTC) reads them; both ONNX models (from the PyPI
//! `rapidocr-onnxruntime` wheel, fetched by scripts/fetch-models) run on tract, loaded and planned
//! once per process at fixed input sizes (the recogniser cannot take a symbolic width, and planning
//! a new shape costs hundreds of milliseconds).
//!
//! - Detection: the image letterboxed into 960×640, ImageNet-normalised; the probability map above
//!   0.3, split into connected regions; each region's orientation from its pixels' principal axis
//!   (so a document photographed a few degrees off level still gives one box per line), its
//!   extent along and across that axis, grown by DBNet's unclip distance (area × 1.5 / perimeter).
//! - Recognition: each line box is sampled upright into a 48-pixel-high strip (bilinear), its
//!   width following the box's aspect up to 1536, the rest padded; greedy CTC decoding, optionally
//!   restricted to an alphabet: for a machine-readable zone only `A–Z 0–9 <` can be read, which is
//!   what makes a general-purpose recogniser good at zones.
//! - [`Ocr::read_zone`]: the long lines of the page (a zone's lines span most of its width) read
//!   with that alphabet, top to bottom, handed to [`crate::zone::find`] (which repairs only what a
//!   check digit confirms).

use crate::zone::{self, ZoneError, ZoneRead};
use image::RgbImage;
use std::path::Path;
use tract_onnx::prelude::*;

pub const DETECTOR_FILE: &str = "ch_PP-OCRv4_det_infer.onnx";
pub const RECOGNISER_FILE: &str = "ch_PP-OCRv4_rec_infer.onnx";

const DET_W: usize = 960;
const DET_H: usize = 640;
const DET_THRESHOLD: f32 = 0.3;
/// A region's mean probability must reach this to be a line (DBNet's box threshold).
const BOX_THRESHOLD: f32 = 0.5;
const UNCLIP_RATIO: f32 = 1.5;
const REC_H: usize = 48;
const REC_W: usize = 1536;
/// A second plan for short lines (labels and values on cards, up to 13 times longer than high):
/// the recogniser's work grows with its input width, and most lines of a visual zone are short.
/// Zone lines are long and always use the wide plan.
const REC_W_SHORT: usize = 640;
const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];
/// The characters a machine-readable zone is written in.
pub const ZONE_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<";

type Plan = std::sync::Arc<TypedSimplePlan>;

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("model {file}: {reason}")]
    Model { file: String, reason: String },
    #[error("inference failed: {0}")]
    Inference(String),
}

fn model_error(path: &Path, e: impl std::fmt::Display) -> OcrError {
    let reason = if path.exists() {
        e.to_string()
    } else {
        "the file is missing: run scripts/fetch-models (or point SMARTENROLL_MODELS_DIR at a folder it filled)".to_string()
    };
    OcrError::Model { file: path.display().to_string(), reason }
}

fn inference(e: impl std::fmt::Display) -> OcrError {
    OcrError::Inference(e.to_string())
}

/// A text line found on the page: a rotated rectangle in the image's pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct LineBox {
    pub center: (f32, f32),
    /// Radians, the line's direction against the image's x axis.
    pub angle: f32,
    /// Along the line, and across it.
    pub length: f32,
    pub height: f32,
    /// The detector's mean probability over the region.
    pub score: f32,
}

/// A line read: its text and the mean probability of the characters emitted.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    pub text: String,
    pub confidence: f32,
    pub line: LineBox,
}

/// What reading a page's zone gave: the zone (or why none) and the lines it was read from.
#[derive(Debug, Clone)]
pub struct ZoneReading {
    pub zone: Result<ZoneRead, ZoneError>,
    pub lines: Vec<TextLine>,
}

/// A page read: its zone (or why none was found) and, when there was none, its visual zone.
#[derive(Debug)]
pub struct DocumentReading {
    pub zone: ZoneReading,
    pub visual: Option<crate::visual::VisualRead>,
}

/// The two models and the recogniser's character list.
pub struct Ocr {
    det: Plan,
    rec: Plan,
    rec_short: Plan,
    /// Class `i` (from 1) is `charset[i - 1]`; class 0 is CTC's blank.
    charset: Vec<char>,
}

impl Ocr {
    /// Loads and plans both models from `dir`.
    pub fn load(dir: &Path) -> Result<Ocr, OcrError> {
        let onnx = tract_onnx::onnx();
        // Every model is planned at one fixed input shape, once.
        let plan = |model: TractResult<InferenceModel>, shape: [usize; 4], path: &Path| {
            model
                .and_then(|m| m.with_input_fact(0, f32::fact(shape).into()))
                .and_then(|m| m.into_optimized())
                .and_then(|m| m.into_runnable())
                .map_err(|e| model_error(path, e))
        };
        let det_path = dir.join(DETECTOR_FILE);
        let det = plan(onnx.model_for_path(&det_path), [1, 3, DET_H, DET_W], &det_path)?;
        let rec_path = dir.join(RECOGNISER_FILE);
        let proto = onnx.proto_model_for_path(&rec_path).map_err(|e| model_error(&rec_path, e))?;
        let characters = proto
            .metadata_props
            .iter()
            .find(|p| p.key == "character")
            .map(|p| p.value.clone())
            .ok_or_else(|| model_error(&rec_path, "the recogniser carries no character list"))?;
        let mut charset: Vec<char> = characters.split('\n').map(|c| c.chars().next().unwrap_or(' ')).collect();
        // PaddleOCR appends the space as the last class.
        charset.push(' ');
        let rec = plan(onnx.model_for_proto_model(&proto), [1, 3, REC_H, REC_W], &rec_path)?;
        let rec_short = plan(onnx.model_for_proto_model(&proto), [1, 3, REC_H, REC_W_SHORT], &rec_path)?;
        Ok(Ocr { det, rec, rec_short, charset })
    }

    /// The text lines of `image`, top to bottom.
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<LineBox>, OcrError> {
        let (w, h) = image.dimensions();
        if w == 0 || h == 0 {
            return Ok(vec![]);
        }
        let scale = (DET_W as f32 / w as f32).min(DET_H as f32 / h as f32);
        let (sw, sh) =
            (((w as f32 * scale).round() as u32).clamp(1, DET_W as u32), ((h as f32 * scale).round() as u32).clamp(1, DET_H as u32));
        let small = image::imageops::resize(image, sw, sh, image::imageops::FilterType::Triangle);
        let input = tract_ndarray::Array4::from_shape_fn((1, 3, DET_H, DET_W), |(_, c, y, x)| {
            if x as u32 >= sw || y as u32 >= sh {
                0.0
            } else {
                (f32::from(small.get_pixel(x as u32, y as u32)[c]) / 255.0 - MEAN[c]) / STD[c]
            }
        });
        let out = self.det.run(tvec!(Tensor::from(input).into())).map_err(inference)?;
        let map = out[0].to_plain_array_view::<f32>().map_err(inference)?;
        let map: Vec<f32> = map.iter().copied().collect();
        if map.len() != DET_W * DET_H {
            return Err(OcrError::Inference(format!("unexpected detection map of {} values", map.len())));
        }
        let mut boxes: Vec<LineBox> = regions(&map, sw as usize, sh as usize)
            .into_iter()
            .filter_map(|pixels| line_box(&pixels, &map))
            .map(|b| LineBox { center: (b.center.0 / scale, b.center.1 / scale), length: b.length / scale, height: b.height / scale, ..b })
            .collect();
        boxes.sort_by(|a, b| a.center.1.total_cmp(&b.center.1));
        Ok(boxes)
    }

    /// Reads one line; with `alphabet`, only those characters can be read.
    pub fn recognise(&self, image: &RgbImage, line: &LineBox, alphabet: Option<&str>) -> Result<TextLine, OcrError> {
        let width = ((REC_H as f32 * line.length / line.height.max(1.0)).round() as usize).clamp(1, REC_W);
        let (plan, plan_width) = if width <= REC_W_SHORT { (&self.rec_short, REC_W_SHORT) } else { (&self.rec, REC_W) };
        let (cos, sin) = (line.angle.cos(), line.angle.sin());
        let input = tract_ndarray::Array4::from_shape_fn((1, 3, REC_H, plan_width), |(_, c, y, x)| {
            if x >= width {
                return 0.0;
            }
            let along = (x as f32 + 0.5) / width as f32 - 0.5;
            let across = (y as f32 + 0.5) / REC_H as f32 - 0.5;
            let sx = line.center.0 + along * line.length * cos - across * line.height * sin;
            let sy = line.center.1 + along * line.length * sin + across * line.height * cos;
            (bilinear(image, sx, sy, c) / 255.0 - 0.5) / 0.5
        });
        let out = plan.run(tvec!(Tensor::from(input).into())).map_err(inference)?;
        let probs = out[0].to_plain_array_view::<f32>().map_err(inference)?;
        let shape = probs.shape().to_vec();
        let (steps, classes) = match shape.as_slice() {
            [1, t, c] => (*t, *c),
            other => return Err(OcrError::Inference(format!("unexpected recogniser output {other:?}"))),
        };
        let probs: Vec<f32> = probs.iter().copied().collect();
        let allowed: Vec<usize> = match alphabet {
            None => (0..classes).collect(),
            Some(a) => std::iter::once(0)
                .chain(self.charset.iter().enumerate().filter(|(_, ch)| a.contains(**ch)).map(|(i, _)| i + 1))
                .filter(|i| *i < classes)
                .collect(),
        };
        let (mut chars, mut confidence, mut previous) = (Vec::<(char, usize)>::new(), 0.0, 0usize);
        for t in 0..steps {
            let row = &probs[t * classes..(t + 1) * classes];
            let (best, p) = allowed.iter().map(|&i| (i, row[i])).fold((0, f32::MIN), |a, b| if b.1 > a.1 { b } else { a });
            if best != 0
                && best != previous
                && let Some(ch) = self.charset.get(best - 1)
            {
                chars.push((*ch, t));
                confidence += p;
            }
            previous = best;
        }
        let confidence = if chars.is_empty() { 0.0 } else { confidence / chars.len() as f32 };
        let text = if alphabet.is_none_or(|a| a.contains(' ')) { with_word_gaps(&chars) } else { chars.iter().map(|(c, _)| *c).collect() };
        Ok(TextLine { text: text.trim().to_string(), confidence, line: line.clone() })
    }

    /// Finds and reads the page's machine-readable zone.
    pub fn read_zone(&self, image: &RgbImage) -> Result<ZoneReading, OcrError> {
        self.read_zone_in(image, self.detect(image)?)
    }

    /// The page's zone, or, on a page without one, its visual zone's fields: one detection for
    /// both.
    pub fn read_document(&self, image: &RgbImage) -> Result<DocumentReading, OcrError> {
        let boxes = self.detect(image)?;
        let zone = self.read_zone_in(image, boxes.clone())?;
        let visual = match zone.zone {
            Ok(_) => None,
            Err(_) => Some(self.read_visual_in(image, &boxes)?),
        };
        Ok(DocumentReading { zone, visual })
    }

    /// Every text line of the page read with [`crate::visual::VISUAL_ALPHABET`], and the fields
    /// found among them.
    pub fn read_visual(&self, image: &RgbImage) -> Result<crate::visual::VisualRead, OcrError> {
        self.read_visual_in(image, &self.detect(image)?)
    }

    /// Every text line of the page read with [`crate::visual::VISUAL_ALPHABET`], top to bottom.
    pub fn read_lines(&self, image: &RgbImage) -> Result<Vec<TextLine>, OcrError> {
        self.lines_in(image, &self.detect(image)?)
    }

    fn read_visual_in(&self, image: &RgbImage, boxes: &[LineBox]) -> Result<crate::visual::VisualRead, OcrError> {
        Ok(crate::visual::fields(&self.lines_in(image, boxes)?))
    }

    fn lines_in(&self, image: &RgbImage, boxes: &[LineBox]) -> Result<Vec<TextLine>, OcrError> {
        let mut lines = Vec::with_capacity(boxes.len());
        for b in boxes {
            // Specks and photo texture: too small or too square to be a line of print.
            if b.height < 6.0 || b.length < 1.2 * b.height {
                continue;
            }
            let read = self.recognise(image, b, Some(crate::visual::VISUAL_ALPHABET))?;
            if !read.text.is_empty() {
                lines.push(read);
            }
        }
        Ok(lines)
    }

    fn read_zone_in(&self, image: &RgbImage, boxes: Vec<LineBox>) -> Result<ZoneReading, OcrError> {
        let page_width = image.width() as f32;
        let mut lines = Vec::new();
        for b in square_up_zone(merge_rows(boxes)) {
            // A zone's lines are long and thin: at least a third of the page wide, 12 times longer
            // than high. Reading only those keeps the recogniser's work to two or three lines.
            if b.length >= page_width / 3.0 && b.length >= 12.0 * b.height {
                let read = self.recognise(image, &b, Some(ZONE_ALPHABET))?;
                if read.text.len() >= 25 {
                    lines.push(read);
                }
            }
        }
        self.reread_short_lines(image, &mut lines)?;
        // The names line (the first of a two-line zone, the last of a three-line one) holds only
        // letters and filler, so a digit read there is the letter it resembles.
        let names = match lines.len() {
            2 => Some(0),
            3 => Some(2),
            _ => None,
        };
        if let Some(i) = names {
            lines[i].text = lines[i].text.chars().map(letter_for_digit).collect();
        }
        let text = lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
        Ok(ZoneReading { zone: zone::find(&text), lines })
    }

    /// Every line of a zone has the same length (30, 36 or 44), and a line read shorter than the
    /// longest one lost characters (a name line has no check digit to say so). Such a line is read
    /// again from slightly different strips (taller, shorter, shifted up or down) and the first
    /// reading of the right length, most confident first, replaces it.
    fn reread_short_lines(&self, image: &RgbImage, lines: &mut [TextLine]) -> Result<(), OcrError> {
        let Some(longest) = lines.iter().map(|l| l.text.len()).max() else {
            return Ok(());
        };
        if longest < 44 && ![30, 36].contains(&longest) {
            // No line was read whole: the block ends in filler the detector did not see. Each zone
            // length above what was read is tried in turn, every line extended to the right by the
            // missing characters at the read's own pitch; the first that reads every line at
            // exactly that length with every check digit agreeing is kept, else the longest.
            let mut tried = Vec::new();
            for expected in [30usize, 36, 44].into_iter().filter(|n| *n > longest) {
                let mut extended = Vec::with_capacity(lines.len());
                for line in lines.iter() {
                    let b = &line.line;
                    let pitch = b.length / line.text.len().max(1) as f32;
                    let extra = pitch * expected.saturating_sub(line.text.len()) as f32;
                    let (cos, sin) = (b.angle.cos(), b.angle.sin());
                    let longer = LineBox {
                        center: (b.center.0 + extra / 2.0 * cos, b.center.1 + extra / 2.0 * sin),
                        length: b.length + extra,
                        ..b.clone()
                    };
                    let read = self.recognise(image, &longer, Some(ZONE_ALPHABET))?;
                    extended.push(if read.text.len() > line.text.len() { read } else { line.clone() });
                }
                let text = extended.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
                let whole = extended.iter().all(|l| l.text.len() == expected);
                if whole && zone::find(&text).is_ok_and(|z| z.checks.all_valid()) {
                    tried.clear();
                    tried.push(extended);
                    break;
                }
                tried.push(extended);
            }
            if let Some(best) = tried.pop() {
                lines.clone_from_slice(&best);
            }
        }
        let Some(expected) = lines.iter().map(|l| l.text.len()).max().filter(|n| [30, 36, 44].contains(n)) else {
            return Ok(());
        };
        for line in lines.iter_mut().filter(|l| l.text.len() < expected) {
            let b = line.line.clone();
            let (sin, cos) = (b.angle.sin(), b.angle.cos());
            let mut best: Option<TextLine> = None;
            for (scale, shift) in [(1.2, 0.0), (0.85, 0.0), (1.0, -0.12), (1.0, 0.12), (1.35, 0.0)] {
                let variant = LineBox {
                    center: (b.center.0 - shift * b.height * sin, b.center.1 + shift * b.height * cos),
                    height: b.height * scale,
                    ..b.clone()
                };
                let read = self.recognise(image, &variant, Some(ZONE_ALPHABET))?;
                if read.text.len() == expected && best.as_ref().is_none_or(|x| read.confidence > x.confidence) {
                    best = Some(read);
                }
            }
            if let Some(better) = best {
                *line = better;
            }
        }
        Ok(())
    }
}

/// The decoded characters with a space wherever the gap before a character is well over the
/// line's usual pitch (the recogniser, trained mostly on Chinese print, rarely emits the space
/// between Latin words itself; a missing letter's width is the space it did not write).
fn with_word_gaps(chars: &[(char, usize)]) -> String {
    let mut gaps: Vec<usize> = chars.windows(2).filter(|w| w[0].0 != ' ' && w[1].0 != ' ').map(|w| w[1].1 - w[0].1).collect();
    if gaps.len() < 3 {
        return chars.iter().map(|(c, _)| *c).collect();
    }
    gaps.sort_unstable();
    let pitch = gaps[gaps.len() / 2] as f32;
    let mut out = String::new();
    for (i, (c, t)) in chars.iter().enumerate() {
        if i > 0 && *c != ' ' && !out.ends_with(' ') && (t - chars[i - 1].1) as f32 >= 1.75 * pitch && (t - chars[i - 1].1) >= 3 {
            out.push(' ');
        }
        out.push(*c);
    }
    out
}

/// The letter a digit is mistaken for in OCR-B (names hold no digits).
fn letter_for_digit(c: char) -> char {
    match c {
        '0' => 'O',
        '1' => 'I',
        '2' => 'Z',
        '4' => 'A',
        '5' => 'S',
        '6' => 'G',
        '7' => 'T',
        '8' => 'B',
        other => other,
    }
}

/// Joins the pieces of one printed row: the detector may split a zone line where a long run of
/// `<` filler begins, and a zone line is only recognisable whole. A piece joins a row when it lies
/// on the row's axis (its centre within half a line height of it), is about as high, and starts
/// within four line heights of the row's end (the pieces between may be too faint to count), or
/// at any distance when it sits squarely on the axis at the row's height (a zone line whose long
/// filler run the detector missed). Longest boxes first, so a row's axis comes from its
/// longest piece.
fn merge_rows(mut boxes: Vec<LineBox>) -> Vec<LineBox> {
    boxes.sort_by(|a, b| b.length.total_cmp(&a.length));
    let mut rows: Vec<LineBox> = Vec::new();
    for b in boxes {
        let joined = rows.iter_mut().find(|r| {
            let (cos, sin) = (r.angle.cos(), r.angle.sin());
            let (dx, dy) = (b.center.0 - r.center.0, b.center.1 - r.center.1);
            let (along, across) = (dx * cos + dy * sin, -dx * sin + dy * cos);
            let gap = along.abs() - (r.length + b.length) / 2.0;
            across.abs() < 0.5 * r.height
                && b.height < 1.6 * r.height
                && b.height > 0.6 * r.height
                && (gap < 4.0 * r.height || (across.abs() < 0.35 * r.height && b.height > 0.7 * r.height))
        });
        match joined {
            Some(r) => {
                let (cos, sin) = (r.angle.cos(), r.angle.sin());
                let along = (b.center.0 - r.center.0) * cos + (b.center.1 - r.center.1) * sin;
                let (start, end) = ((-r.length / 2.0).min(along - b.length / 2.0), (r.length / 2.0).max(along + b.length / 2.0));
                let shift = (start + end) / 2.0;
                r.center = (r.center.0 + shift * cos, r.center.1 + shift * sin);
                r.length = end - start;
                r.height = r.height.max(b.height);
            }
            None => rows.push(b),
        }
    }
    rows.sort_by(|a, b| a.center.1.total_cmp(&b.center.1));
    rows
}

/// A zone is a block of equally long lines, and the detector often misses a run of `<` filler
/// (a line whose name is short is mostly filler; a line's end). So the rows lying parallel to the
/// page's longest row, within four line heights of it and overlapping it, are taken as one block
/// and each is given the block's whole extent along the axis: a zone line the detector saw only in
/// part is read whole.
fn square_up_zone(rows: Vec<LineBox>) -> Vec<LineBox> {
    let Some(longest) = rows.iter().max_by(|a, b| a.length.total_cmp(&b.length)).cloned() else {
        return rows;
    };
    let (cos, sin) = (longest.angle.cos(), longest.angle.sin());
    // Each row's offsets along and across the longest row's axis, and whether it is in the block.
    let placed: Vec<(LineBox, f32, f32, bool)> = rows
        .into_iter()
        .map(|r| {
            let (dx, dy) = (r.center.0 - longest.center.0, r.center.1 - longest.center.1);
            let (along, across) = (dx * cos + dy * sin, -dx * sin + dy * cos);
            let parallel = (r.angle - longest.angle).abs() < 0.05;
            let near = across.abs() < 4.0 * longest.height;
            let overlaps = along.abs() < (r.length + longest.length) / 2.0;
            let in_block = parallel && near && overlaps && r.height > 0.6 * longest.height;
            (r, along, across, in_block)
        })
        .collect();
    let (start, end) = placed
        .iter()
        .filter(|p| p.3)
        .fold((f32::MAX, f32::MIN), |(s, e), (r, along, _, _)| (s.min(along - r.length / 2.0), e.max(along + r.length / 2.0)));
    let middle = (start + end) / 2.0;
    placed
        .into_iter()
        .map(|(r, _, across, in_block)| {
            if in_block {
                LineBox {
                    center: (longest.center.0 + middle * cos - across * sin, longest.center.1 + middle * sin + across * cos),
                    angle: longest.angle,
                    length: end - start,
                    ..r
                }
            } else {
                r
            }
        })
        .collect()
}

/// Connected regions (8-neighbourhood) of the thresholded map, within the letterboxed image.
fn regions(map: &[f32], width: usize, height: usize) -> Vec<Vec<(usize, usize)>> {
    let mut seen = vec![false; map.len()];
    let mut out = Vec::new();
    for start in 0..map.len() {
        let (sx, sy) = (start % DET_W, start / DET_W);
        if seen[start] || sx >= width || sy >= height || map[start] <= DET_THRESHOLD {
            continue;
        }
        let mut pixels = Vec::new();
        let mut stack = vec![start];
        seen[start] = true;
        while let Some(i) = stack.pop() {
            let (x, y) = (i % DET_W, i / DET_W);
            pixels.push((x, y));
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                    if nx < 0 || ny < 0 || nx >= width as i64 || ny >= height as i64 {
                        continue;
                    }
                    let j = ny as usize * DET_W + nx as usize;
                    if !seen[j] && map[j] > DET_THRESHOLD {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        if pixels.len() >= 12 {
            out.push(pixels);
        }
    }
    out
}

/// A region's rotated box (principal axis of its pixels), unclipped, in map coordinates.
fn line_box(pixels: &[(usize, usize)], map: &[f32]) -> Option<LineBox> {
    let n = pixels.len() as f32;
    let score = pixels.iter().map(|(x, y)| map[y * DET_W + x]).sum::<f32>() / n;
    if score < BOX_THRESHOLD {
        return None;
    }
    let (mx, my) = pixels.iter().fold((0.0, 0.0), |a, (x, y)| (a.0 + *x as f32, a.1 + *y as f32));
    let (mx, my) = (mx / n, my / n);
    let (mut cxx, mut cyy, mut cxy) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in pixels {
        let (dx, dy) = (*x as f32 - mx, *y as f32 - my);
        cxx += dx * dx;
        cyy += dy * dy;
        cxy += dx * dy;
    }
    let angle = 0.5 * (2.0 * cxy).atan2(cxx - cyy);
    let (cos, sin) = (angle.cos(), angle.sin());
    let (mut a0, mut a1, mut c0, mut c1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for (x, y) in pixels {
        let (dx, dy) = (*x as f32 - mx, *y as f32 - my);
        let along = dx * cos + dy * sin;
        let across = -dx * sin + dy * cos;
        a0 = a0.min(along);
        a1 = a1.max(along);
        c0 = c0.min(across);
        c1 = c1.max(across);
    }
    // Pixel extents count pixel centres: one more pixel's worth each way.
    let (length, height) = (a1 - a0 + 1.0, c1 - c0 + 1.0);
    let grow = length * height * UNCLIP_RATIO / (2.0 * (length + height));
    let (ca, cc) = ((a0 + a1) / 2.0, (c0 + c1) / 2.0);
    Some(LineBox {
        center: (mx + ca * cos - cc * sin, my + ca * sin + cc * cos),
        angle,
        length: length + 2.0 * grow,
        height: height + 2.0 * grow,
        score,
    })
}

/// Channel `c` at a fractional position, edge pixels repeated beyond the image.
fn bilinear(image: &RgbImage, x: f32, y: f32, c: usize) -> f32 {
    let (w, h) = (image.width() as i64, image.height() as i64);
    let (x, y) = (x - 0.5, y - 0.5);
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let at = |xi: i64, yi: i64| f32::from(image.get_pixel(xi.clamp(0, w - 1) as u32, yi.clamp(0, h - 1) as u32)[c]);
    let (x0, y0) = (x0 as i64, y0 as i64);
    let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
    let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
    top * (1.0 - fy) + bottom * fy
}
