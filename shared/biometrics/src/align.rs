//! Alignment: the least-squares similarity (rotation, uniform scale, translation; Umeyama) that
//! maps the face's eyes, nose and mouth onto the ArcFace 112×112 template, then a bilinear warp.

use crate::Face;
use image::{Rgb, RgbImage};

pub(crate) const SIZE: u32 = 112;

/// InsightFace's template: left eye, right eye, nose tip, and the mean of the two mouth corners
/// (BlazeFace gives the mouth's centre, not its corners).
const TEMPLATE: [(f32, f32); 4] = [(38.2946, 51.6963), (73.5318, 51.5014), (56.0252, 71.7366), (56.1396, 92.2848)];

/// `(c, s, tx, ty)` with `dst ≈ [[c, −s], [s, c]]·src + t`, fitted in least squares.
fn similarity(src: &[(f32, f32); 4], dst: &[(f32, f32); 4]) -> (f32, f32, f32, f32) {
    let n = src.len() as f32;
    let mean = |p: &[(f32, f32); 4]| (p.iter().map(|q| q.0).sum::<f32>() / n, p.iter().map(|q| q.1).sum::<f32>() / n);
    let (msx, msy) = mean(src);
    let (mdx, mdy) = mean(dst);
    let (mut a, mut b, mut norm) = (0.0, 0.0, 0.0);
    for (p, q) in src.iter().zip(dst) {
        let (px, py, qx, qy) = (p.0 - msx, p.1 - msy, q.0 - mdx, q.1 - mdy);
        a += px * qx + py * qy;
        b += px * qy - py * qx;
        norm += px * px + py * py;
    }
    let norm = norm.max(1e-6);
    let (c, s) = (a / norm, b / norm);
    (c, s, mdx - (c * msx - s * msy), mdy - (s * msx + c * msy))
}

pub(crate) fn warp(image: &RgbImage, face: &Face) -> RgbImage {
    let k = &face.keypoints;
    let (c, s, tx, ty) = similarity(&[k[0], k[1], k[2], k[3]], &TEMPLATE);
    // Inverse map: for each template pixel, where it comes from in the image.
    let det = (c * c + s * s).max(1e-12);
    let (w, h) = image.dimensions();
    RgbImage::from_fn(SIZE, SIZE, |u, v| {
        let (qx, qy) = (u as f32 - tx, v as f32 - ty);
        let (x, y) = ((c * qx + s * qy) / det, (-s * qx + c * qy) / det);
        sample(image, w, h, x, y)
    })
}

fn sample(image: &RgbImage, w: u32, h: u32, x: f32, y: f32) -> Rgb<u8> {
    if !(x >= 0.0 && y >= 0.0 && x <= (w - 1) as f32 && y <= (h - 1) as f32) {
        return Rgb([0, 0, 0]);
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let px = |xx, yy| image.get_pixel(xx, yy).0;
    let (p00, p10, p01, p11) = (px(x0, y0), px(x1, y0), px(x0, y1), px(x1, y1));
    let mut out = [0u8; 3];
    for (i, o) in out.iter_mut().enumerate() {
        let top = f32::from(p00[i]) * (1.0 - fx) + f32::from(p10[i]) * fx;
        let bottom = f32::from(p01[i]) * (1.0 - fx) + f32::from(p11[i]) * fx;
        *o = (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8;
    }
    Rgb(out)
}

#[cfg(test)]
mod tests {
    use super::{TEMPLATE, similarity};

    #[test]
    fn the_fitted_similarity_recovers_a_known_rotation_scale_and_shift() {
        let (c0, s0, tx0, ty0) = (0.8f32, 0.3f32, 12.0f32, -7.0f32);
        let src = TEMPLATE;
        let dst = src.map(|(x, y)| (c0 * x - s0 * y + tx0, s0 * x + c0 * y + ty0));
        let (c, s, tx, ty) = similarity(&src, &dst);
        for (got, want) in [(c, c0), (s, s0), (tx, tx0), (ty, ty0)] {
            assert!((got - want).abs() < 1e-3, "{got} vs {want}");
        }
    }
}
