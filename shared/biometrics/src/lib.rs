//! The face engine: detection (MediaPipe BlazeFace short-range), alignment (a 4-point similarity to
//! the ArcFace 112×112 template), embedding (MobileFaceNet, 192-d), 1:1 comparison (cosine, mapped
//! to a 0..1 score by [`calibration`]), quality gates and liveness ([`liveness`]), in pure Rust with
//! tract: no native runtime, nothing downloaded at run time.
//!
//! The engine is three ports ([`FaceDetector`], [`FaceEmbedder`], [`LivenessScorer`]) behind one
//! service, [`Biometrics`]. [`Biometrics::load`] reads and plans both models once per process, with
//! fixed input shapes, from the folder `scripts/fetch-models` fills (pinned, digest-checked); every
//! call after that only runs plans. [`model_loads`] counts loads, so a test can hold the process to
//! "once".
//!
//! The pipeline constants (anchors, decoding, template) are MediaPipe's and InsightFace's published
//! ones, checked against onnxruntime/TFLite outputs (agreement to about 1e-4) before this crate was written.

mod align;
pub mod calibration;
mod detect;
mod embed;
pub mod eval;
pub mod liveness;
pub mod quality;
pub mod synthetic;

pub use detect::{BlazeFace, Face};
pub use embed::MobileFaceNet;
use image::RgbImage;
pub use liveness::{ActiveLiveness, CaptureCues, PassiveLiveness, Signal, Turn};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The model files the engine loads from its folder.
pub const DETECTOR_FILE: &str = "blazeface_front128.onnx";
pub const EMBEDDER_FILE: &str = "MobileFaceNet.tflite";

static MODEL_LOADS: AtomicUsize = AtomicUsize::new(0);

/// How many model files this process has loaded and planned (two per [`Biometrics::load`]).
pub fn model_loads() -> usize {
    MODEL_LOADS.load(Ordering::Relaxed)
}

/// The project flow's `liveness.searchMode`.
///
/// - `Fast`: one detector pass on the whole image letterboxed to 128², one embedding per face
///   (both faces in one batch), the lenient quality gates ([`quality::Gates::FAST`]).
/// - `Accurate`: a second detector pass on a crop around the face (landmarks found at the face's
///   own scale, so alignment is tighter), test-time augmentation (each face embedded with its
///   mirror image, the two averaged), and the stricter gates ([`quality::Gates::ACCURATE`]).
///   It costs one more detector run per image and one more embedder run per comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Fast,
    Accurate,
}

impl Mode {
    /// `FAST` or `ACCURATE`, in any case.
    pub fn parse(s: &str) -> Option<Mode> {
        match s.trim().to_ascii_uppercase().as_str() {
            "FAST" => Some(Mode::Fast),
            "ACCURATE" => Some(Mode::Accurate),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Fast => "FAST",
            Mode::Accurate => "ACCURATE",
        }
    }
}

/// Why an image gives no face to work with. Each is its own API error code ([`FaceError::code`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaceError {
    #[error("no face found")]
    NoFace,
    #[error("more than one face found ({0})")]
    SeveralFaces(usize),
    #[error("the face is too small ({width_px} px wide; at least {min_px} px needed)")]
    FaceTooSmall { width_px: u32, min_px: u32 },
    #[error("the face is too blurred (sharpness {sharpness:.0}; at least {min:.0} needed)")]
    TooBlurred { sharpness: f32, min: f32 },
    #[error("the face is too dark (brightness {brightness:.0} of 255; at least {min:.0} needed)")]
    TooDark { brightness: f32, min: f32 },
    #[error("the face is overexposed (brightness {brightness:.0} of 255; at most {max:.0} allowed)")]
    TooBright { brightness: f32, max: f32 },
}

impl FaceError {
    /// The error code the API answers with.
    pub fn code(&self) -> &'static str {
        match self {
            FaceError::NoFace => "face_not_found",
            FaceError::SeveralFaces(_) => "multiple_faces",
            FaceError::FaceTooSmall { .. } => "face_too_small",
            FaceError::TooBlurred { .. } => "face_too_blurred",
            FaceError::TooDark { .. } => "face_too_dark",
            FaceError::TooBright { .. } => "face_overexposed",
        }
    }
}

/// Which of several images a [`FaceError`] is about (0 = the first given).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("image {image}: {error}")]
pub struct Refusal {
    pub image: usize,
    pub error: FaceError,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("model {file}: {reason}")]
    Model { file: String, reason: String },
    #[error("inference failed: {0}")]
    Inference(String),
}

/// Finds faces. Implemented by [`BlazeFace`].
pub trait FaceDetector: Send + Sync {
    /// Every face in `image`, most confident first, in the image's own pixel coordinates.
    fn detect(&self, image: &RgbImage) -> Result<Vec<Face>, EngineError>;
}

/// Turns aligned 112×112 faces into embeddings. Implemented by [`MobileFaceNet`].
pub trait FaceEmbedder: Send + Sync {
    /// One L2-normalised embedding per face, in order.
    fn embed(&self, faces: &[RgbImage]) -> Result<Vec<Embedding>, EngineError>;
}

/// Scores one image for liveness from the face found in it. Implemented by [`CaptureCues`].
pub trait LivenessScorer: Send + Sync {
    fn score(&self, image: &RgbImage, face: &FoundFace, mode: Mode) -> Result<PassiveLiveness, EngineError>;
}

/// A face's embedding, L2-normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(pub Vec<f32>);

impl Embedding {
    /// L2-normalises `v` (a zero vector stays zero).
    pub fn normalised(v: Vec<f32>) -> Embedding {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        Embedding(v.into_iter().map(|x| x / norm).collect())
    }

    /// Cosine similarity of two normalised embeddings, in −1..1.
    pub fn cosine(&self, other: &Embedding) -> f32 {
        self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum()
    }
}

/// A face that passed detection and the mode's quality gates, with its aligned crop.
#[derive(Debug, Clone)]
pub struct FoundFace {
    pub face: Face,
    /// 112×112, aligned to the ArcFace template.
    pub aligned: RgbImage,
    pub quality: quality::Quality,
}

/// The result of a 1:1 comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    pub cosine: f32,
    /// 0..1, from [`calibration::score`]; compared with the flow's `searchMinScore`.
    pub score: f32,
}

/// A second face counts when it is at least this share of the largest face's width (a small
/// background face or a document's ghost image does not make a selfie "several faces").
pub const SECOND_FACE_SHARE: f32 = 0.4;

/// The engine: the three ports and the rules between them. Cheap to clone (`Arc`s).
#[derive(Clone)]
pub struct Biometrics {
    detector: Arc<dyn FaceDetector>,
    embedder: Arc<dyn FaceEmbedder>,
    liveness: Arc<dyn LivenessScorer>,
}

impl Biometrics {
    /// Loads and plans both models from `dir` (a missing or unreadable file names the fix).
    pub fn load(dir: &Path) -> Result<Self, EngineError> {
        let detector = BlazeFace::load(&dir.join(DETECTOR_FILE))?;
        MODEL_LOADS.fetch_add(1, Ordering::Relaxed);
        let embedder = MobileFaceNet::load(&dir.join(EMBEDDER_FILE))?;
        MODEL_LOADS.fetch_add(1, Ordering::Relaxed);
        Ok(Self::new(Arc::new(detector), Arc::new(embedder), Arc::new(CaptureCues)))
    }

    pub fn new(detector: Arc<dyn FaceDetector>, embedder: Arc<dyn FaceEmbedder>, liveness: Arc<dyn LivenessScorer>) -> Self {
        Self { detector, embedder, liveness }
    }

    /// Every face in `image`, most confident first (no gates).
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<Face>, EngineError> {
        self.detector.detect(image)
    }

    /// The one face of `image` to work with in `mode`, aligned and measured, or why there is none.
    pub fn face(&self, image: &RgbImage, mode: Mode) -> Result<Result<FoundFace, FaceError>, EngineError> {
        let faces = self.detector.detect(image)?;
        let Some(largest) = faces.iter().max_by(|a, b| a.width().total_cmp(&b.width())).cloned() else {
            return Ok(Err(FaceError::NoFace));
        };
        let counted = faces.iter().filter(|f| f.width() >= SECOND_FACE_SHARE * largest.width()).count();
        if counted > 1 {
            return Ok(Err(FaceError::SeveralFaces(counted)));
        }
        let gates = quality::Gates::for_mode(mode);
        let width_px = largest.width().round().max(0.0) as u32;
        if width_px < gates.min_face_px {
            return Ok(Err(FaceError::FaceTooSmall { width_px, min_px: gates.min_face_px }));
        }
        let face = match mode {
            Mode::Fast => largest,
            Mode::Accurate => detect::refine(self.detector.as_ref(), image, &largest)?,
        };
        let aligned = align::warp(image, &face);
        let quality = quality::Quality::measure(&face, &aligned);
        if let Err(e) = gates.check(&quality) {
            return Ok(Err(e));
        }
        Ok(Ok(FoundFace { face, aligned, quality }))
    }

    /// The embedding of each face; in `Accurate` mode each is the mean of the face's and its mirror
    /// image's embeddings.
    pub fn embed(&self, faces: &[&FoundFace], mode: Mode) -> Result<Vec<Embedding>, EngineError> {
        match mode {
            Mode::Fast => self.embedder.embed(&faces.iter().map(|f| f.aligned.clone()).collect::<Vec<_>>()),
            Mode::Accurate => {
                let mut batch = Vec::with_capacity(faces.len() * 2);
                for f in faces {
                    batch.push(f.aligned.clone());
                    batch.push(image::imageops::flip_horizontal(&f.aligned));
                }
                let both = self.embedder.embed(&batch)?;
                Ok(both.chunks(2).map(|p| Embedding::normalised(p[0].0.iter().zip(&p[1].0).map(|(a, b)| a + b).collect())).collect())
            }
        }
    }

    /// Compares two faces already found.
    pub fn compare_faces(&self, a: &FoundFace, b: &FoundFace, mode: Mode) -> Result<Comparison, EngineError> {
        let e = self.embed(&[a, b], mode)?;
        let cosine = e[0].cosine(&e[1]);
        Ok(Comparison { cosine, score: calibration::score(cosine) })
    }

    /// Compares the single faces of two images.
    pub fn compare(&self, a: &RgbImage, b: &RgbImage, mode: Mode) -> Result<Result<Comparison, Refusal>, EngineError> {
        let fa = match self.face(a, mode)? {
            Ok(f) => f,
            Err(error) => return Ok(Err(Refusal { image: 0, error })),
        };
        let fb = match self.face(b, mode)? {
            Ok(f) => f,
            Err(error) => return Ok(Err(Refusal { image: 1, error })),
        };
        Ok(Ok(self.compare_faces(&fa, &fb, mode)?))
    }

    /// Passive (single-image) liveness of the single face of `image`.
    pub fn liveness(&self, image: &RgbImage, mode: Mode) -> Result<Result<PassiveLiveness, FaceError>, EngineError> {
        let found = match self.face(image, mode)? {
            Ok(f) => f,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(self.liveness_of(image, &found, mode)?))
    }

    /// Passive liveness of a face already found in `image` (no second detection).
    pub fn liveness_of(&self, image: &RgbImage, found: &FoundFace, mode: Mode) -> Result<PassiveLiveness, EngineError> {
        self.liveness.score(image, found, mode)
    }

    /// Active liveness: `frames` are the burst the client captured while the enrollee followed
    /// `challenge` (see [`liveness::evaluate_active`]).
    pub fn active_liveness(
        &self,
        challenge: &[Turn],
        frames: &[RgbImage],
        mode: Mode,
    ) -> Result<Result<ActiveLiveness, Refusal>, EngineError> {
        liveness::evaluate_active(self, challenge, frames, mode)
    }
}
