//! Verification accuracy from labelled scores: the ROC (TAR and FAR at every threshold) and TAR at
//! fixed FARs, each with the number of pairs behind it and whether that number can support it.
//!
//! A FAR of `f` is only *supported* when there are at least ⌈3/f⌉ impostor pairs: with zero false
//! accepts among N pairs, the 95 % upper bound of the true FAR is about 3/N (the "rule of three"),
//! so fewer pairs cannot show that the FAR is as low as claimed.

/// One threshold's operating point (a pair is accepted when its score ≥ `threshold`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RocPoint {
    pub threshold: f32,
    pub tar: f32,
    pub far: f32,
    pub genuine_accepted: usize,
    pub impostor_accepted: usize,
}

/// TAR at a target FAR.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TarAtFar {
    pub far_target: f32,
    /// Impostor pairs needed to support the target (⌈3/f⌉).
    pub impostors_needed: usize,
    pub supported: bool,
    /// The lowest threshold whose FAR is at most the target, and its TAR.
    pub threshold: f32,
    pub tar: f32,
}

/// The ROC: one point per distinct score, from the strictest threshold to the most lenient.
pub fn roc(genuine: &[f32], impostor: &[f32]) -> Vec<RocPoint> {
    let mut thresholds: Vec<f32> = genuine.iter().chain(impostor).copied().filter(|s| s.is_finite()).collect();
    thresholds.sort_by(|a, b| b.total_cmp(a));
    thresholds.dedup();
    thresholds.into_iter().map(|t| point(genuine, impostor, t)).collect()
}

fn point(genuine: &[f32], impostor: &[f32], threshold: f32) -> RocPoint {
    let genuine_accepted = genuine.iter().filter(|s| **s >= threshold).count();
    let impostor_accepted = impostor.iter().filter(|s| **s >= threshold).count();
    RocPoint {
        threshold,
        tar: ratio(genuine_accepted, genuine.len()),
        far: ratio(impostor_accepted, impostor.len()),
        genuine_accepted,
        impostor_accepted,
    }
}

fn ratio(n: usize, of: usize) -> f32 {
    if of == 0 { 0.0 } else { n as f32 / of as f32 }
}

pub fn tar_at_far(genuine: &[f32], impostor: &[f32], far_target: f32) -> TarAtFar {
    let impostors_needed = (3.0 / far_target).ceil() as usize;
    // Just above the highest score nothing is accepted (FAR 0); lower thresholds accept more.
    let top = genuine.iter().chain(impostor).copied().fold(f32::NEG_INFINITY, f32::max);
    let mut best = point(genuine, impostor, if top.is_finite() { top + 1e-6 } else { 1.0 });
    for p in roc(genuine, impostor) {
        if p.far <= far_target {
            best = p;
        } else {
            break;
        }
    }
    TarAtFar { far_target, impostors_needed, supported: impostor.len() >= impostors_needed, threshold: best.threshold, tar: best.tar }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_at_far_takes_the_lowest_threshold_that_keeps_the_far_within_the_target() {
        let genuine = [0.9, 0.8, 0.7, 0.4];
        let impostor = [0.75, 0.3, 0.2, 0.1];
        let r = tar_at_far(&genuine, &impostor, 0.0);
        assert_eq!((r.threshold, r.tar), (0.8, 0.5));
        let r = tar_at_far(&genuine, &impostor, 0.25);
        assert_eq!((r.threshold, r.tar), (0.4, 1.0));
    }

    #[test]
    fn a_far_needs_three_over_it_impostor_pairs_to_be_supported() {
        let r = tar_at_far(&[0.9], &[0.1; 299], 0.01);
        assert_eq!(r.impostors_needed, 300);
        assert!(!r.supported);
        assert!(tar_at_far(&[0.9], &[0.1; 300], 0.01).supported);
    }

    #[test]
    fn the_roc_goes_from_strict_to_lenient() {
        let points = roc(&[0.9, 0.5], &[0.6, 0.1]);
        let fars: Vec<f32> = points.iter().map(|p| p.far).collect();
        assert_eq!(fars, vec![0.0, 0.5, 0.5, 1.0]);
        assert_eq!(points.last().map(|p| p.tar), Some(1.0));
    }
}
