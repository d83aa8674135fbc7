//! Image-quality measures of a found face and the gates each mode applies before comparing.
//!
//! Sharpness and brightness are measured on the aligned 112×112 crop, so they do not depend on the
//! photo's resolution. Pose comes from the detector's keypoints.
//!
//! The gate values sit far below what the test portraits measure (obama2's aligned crop: sharpness
//! about 1400, brightness about 142) and above what a strong Gaussian blur or a sixfold darkening
//! gives (the engine tests refuse both): they are quality
//! floors, not decision thresholds, and an operator's own photos may justify other values.

use crate::{Face, FaceError, Mode};
use image::RgbImage;

/// What the engine measured of a face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quality {
    /// The face box's width in the image's own pixels.
    pub width_px: u32,
    /// Variance of the 4-neighbour Laplacian of the aligned crop's luma.
    pub sharpness: f32,
    /// Mean luma (0–255) of the aligned crop's central region.
    pub brightness: f32,
    /// Horizontal offset of the nose from the eyes' midpoint, in eye distances, measured along the
    /// eye line: 0 frontal, positive when the nose points toward the image's right.
    pub yaw: f32,
    /// Angle of the eye line, in degrees (positive: clockwise in image coordinates).
    pub roll_deg: f32,
}

impl Quality {
    pub fn measure(face: &Face, aligned: &RgbImage) -> Quality {
        let luma = luma(aligned);
        let n = aligned.width() as usize;
        Quality {
            width_px: face.width().round().max(0.0) as u32,
            sharpness: laplacian_variance(&luma, n),
            brightness: central_mean(&luma, n),
            yaw: yaw(face),
            roll_deg: roll_deg(face),
        }
    }
}

/// The floors a face must clear in a mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gates {
    pub min_face_px: u32,
    pub min_sharpness: f32,
    pub min_brightness: f32,
    pub max_brightness: f32,
}

impl Gates {
    pub const FAST: Gates = Gates { min_face_px: 64, min_sharpness: 25.0, min_brightness: 40.0, max_brightness: 235.0 };
    pub const ACCURATE: Gates = Gates { min_face_px: 96, min_sharpness: 50.0, min_brightness: 55.0, max_brightness: 225.0 };

    pub fn for_mode(mode: Mode) -> Gates {
        match mode {
            Mode::Fast => Gates::FAST,
            Mode::Accurate => Gates::ACCURATE,
        }
    }

    pub fn check(&self, q: &Quality) -> Result<(), FaceError> {
        if q.width_px < self.min_face_px {
            return Err(FaceError::FaceTooSmall { width_px: q.width_px, min_px: self.min_face_px });
        }
        if q.brightness < self.min_brightness {
            return Err(FaceError::TooDark { brightness: q.brightness, min: self.min_brightness });
        }
        if q.brightness > self.max_brightness {
            return Err(FaceError::TooBright { brightness: q.brightness, max: self.max_brightness });
        }
        if q.sharpness < self.min_sharpness {
            return Err(FaceError::TooBlurred { sharpness: q.sharpness, min: self.min_sharpness });
        }
        Ok(())
    }
}

/// Rec. 601 luma, row-major.
pub fn luma(image: &RgbImage) -> Vec<f32> {
    image.pixels().map(|p| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])).collect()
}

/// Variance of the 4-neighbour Laplacian over the interior of an `n`-wide square.
pub fn laplacian_variance(luma: &[f32], n: usize) -> f32 {
    if n < 3 || luma.len() < n * n {
        return 0.0;
    }
    let at = |x: usize, y: usize| luma[y * n + x];
    let mut values = Vec::with_capacity((n - 2) * (n - 2));
    for y in 1..n - 1 {
        for x in 1..n - 1 {
            values.push(at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y));
        }
    }
    let mean = values.iter().sum::<f32>() / values.len() as f32;
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / values.len() as f32
}

/// Mean of the central half (in each direction) of an `n`-wide square: the face, not the
/// background the alignment brings into the corners.
fn central_mean(luma: &[f32], n: usize) -> f32 {
    let (lo, hi) = (n / 4, n - n / 4);
    let mut sum = 0.0;
    let mut count = 0usize;
    for y in lo..hi {
        for x in lo..hi {
            sum += luma[y * n + x];
            count += 1;
        }
    }
    if count == 0 { 0.0 } else { sum / count as f32 }
}

/// See [`Quality::yaw`]. Measured along the eye line, so a tilted head does not read as a turn.
pub fn yaw(face: &Face) -> f32 {
    let [l, r, nose, ..] = face.keypoints;
    let (ex, ey) = (r.0 - l.0, r.1 - l.1);
    let len2 = (ex * ex + ey * ey).max(1e-6);
    let (mx, my) = ((l.0 + r.0) / 2.0, (l.1 + r.1) / 2.0);
    ((nose.0 - mx) * ex + (nose.1 - my) * ey) / len2
}

/// See [`Quality::roll_deg`].
pub fn roll_deg(face: &Face) -> f32 {
    let [l, r, ..] = face.keypoints;
    (r.1 - l.1).atan2(r.0 - l.0).to_degrees()
}
