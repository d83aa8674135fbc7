//! Synthetic head turns rendered from one still photo. The tests and the benchmark use them as
//! active-liveness frames because no real head-turn video is available from the package
//! registries. They are also exactly the injection attack the README says the active challenge
//! does not stop: a client that renders the asked turns from a photo and sends them as frames.

use crate::Face;
use image::{Rgb, RgbImage};

/// Renders `image` as if the head of `face` had turned by `degrees` about the vertical axis
/// (positive: the nose moves toward the image's right, i.e. the enrollee's own left). The head is a
/// cylinder a little wider than the face with a nose in front of it; each surface point moves to
/// `x' = cx + dx·cos θ + z·sin θ`, the nearest surface wins, and what the head uncovers is filled
/// from the background either side.
pub fn turn_head(image: &RgbImage, face: &Face, degrees: f32) -> RgbImage {
    let theta = degrees.to_radians();
    let (cos, sin) = (theta.cos(), theta.sin());
    let cx = (face.bbox[0] + face.bbox[2]) / 2.0;
    let radius = face.width() * 0.62;
    let (nx, ny) = face.keypoints[2];
    let sigma = face.width() * 0.10;
    let top = (face.bbox[1] - face.height() * 0.6).max(0.0) as u32;
    let bottom = ((face.bbox[3] + face.height() * 0.3) as u32).min(image.height());
    let mut out = image.clone();
    for y in top..bottom {
        let mut depth = vec![f32::NEG_INFINITY; image.width() as usize];
        // What the head uncovers: the background either side of it, blended across.
        let (l, r) = ((cx - radius - 2.0).max(0.0) as u32, ((cx + radius + 2.0) as u32).min(image.width() - 1));
        let (pl, pr) = (image.get_pixel(l, y).0, image.get_pixel(r, y).0);
        for x in l..=r {
            let t = (x - l) as f32 / (r - l).max(1) as f32;
            out.put_pixel(x, y, Rgb([0, 1, 2].map(|c| (f32::from(pl[c]) * (1.0 - t) + f32::from(pr[c]) * t) as u8)));
        }
        let steps = (radius * 2.0 * 4.0) as i32;
        for s in 0..=steps {
            let dx = -radius + s as f32 / 4.0;
            let x = cx + dx;
            if x < 0.0 || x >= image.width() as f32 {
                continue;
            }
            let nose = 0.45 * radius * (-((x - nx).powi(2) + (y as f32 - ny).powi(2)) / (2.0 * sigma * sigma)).exp();
            let z = (radius * radius - dx * dx).max(0.0).sqrt() + nose;
            let x2 = cx + dx * cos + z * sin - radius * sin;
            let d = -dx * sin + z * cos;
            let xi = x2.round();
            if xi < 0.0 || xi >= image.width() as f32 {
                continue;
            }
            let xi = xi as usize;
            if d > depth[xi] {
                depth[xi] = d;
                out.put_pixel(xi as u32, y, *image.get_pixel(x as u32, y));
            }
        }
    }
    out
}
