//! BlazeFace short-range (128×128): letterbox, run, decode the 896 anchors, weighted NMS; and the
//! ACCURATE mode's second pass on a crop around a face.

use crate::{EngineError, FaceDetector};
use image::RgbImage;
use std::path::Path;
use tract_onnx::prelude::*;

const INPUT: u32 = 128;
/// MediaPipe's short-range thresholds.
const MIN_SCORE: f32 = 0.5;
const NMS_IOU: f32 = 0.3;

/// A detected face, in the image's own pixel coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Face {
    pub score: f32,
    /// Box: left, top, right, bottom.
    pub bbox: [f32; 4],
    /// Eye on the image's left, eye on the image's right, nose tip, mouth centre, the two ear
    /// tragions.
    pub keypoints: [(f32, f32); 6],
}

impl Face {
    pub fn width(&self) -> f32 {
        self.bbox[2] - self.bbox[0]
    }

    pub fn height(&self) -> f32 {
        self.bbox[3] - self.bbox[1]
    }

    fn centre(&self) -> (f32, f32) {
        ((self.bbox[0] + self.bbox[2]) / 2.0, (self.bbox[1] + self.bbox[3]) / 2.0)
    }

    fn shifted(mut self, dx: f32, dy: f32) -> Face {
        for (i, v) in self.bbox.iter_mut().enumerate() {
            *v += if i % 2 == 0 { dx } else { dy };
        }
        for k in self.keypoints.iter_mut() {
            *k = (k.0 + dx, k.1 + dy);
        }
        self
    }
}

pub(crate) type Plan = std::sync::Arc<TypedSimplePlan>;

/// The BlazeFace short-range model, planned for one 128×128 NHWC input.
pub struct BlazeFace {
    plan: Plan,
}

impl FaceDetector for BlazeFace {
    fn detect(&self, image: &RgbImage) -> Result<Vec<Face>, EngineError> {
        run(&self.plan, image)
    }
}

/// The face found again on a square crop about twice its size around it, so that its landmarks
/// come from the model's 128² input at nearly the face's own scale (the whole-image pass sees a
/// 900-px portrait at 1/7 scale). Falls back to `face` when the crop finds nothing near it.
pub(crate) fn refine(detector: &dyn FaceDetector, image: &RgbImage, face: &Face) -> Result<Face, EngineError> {
    let (w, h) = image.dimensions();
    let side = face.width().max(face.height()) * 2.0;
    let (cx, cy) = face.centre();
    let x0 = (cx - side / 2.0).floor().clamp(0.0, w as f32 - 1.0) as u32;
    let y0 = (cy - side / 2.0).floor().clamp(0.0, h as f32 - 1.0) as u32;
    let x1 = (cx + side / 2.0).ceil().clamp(x0 as f32 + 1.0, w as f32) as u32;
    let y1 = (cy + side / 2.0).ceil().clamp(y0 as f32 + 1.0, h as f32) as u32;
    let crop = image::imageops::crop_imm(image, x0, y0, x1 - x0, y1 - y0).to_image();
    let found = detector.detect(&crop)?;
    let best = found
        .into_iter()
        .map(|f| f.shifted(x0 as f32, y0 as f32))
        .filter(|f| iou(&f.bbox, &face.bbox) > 0.3)
        .max_by(|a, b| iou(&a.bbox, &face.bbox).total_cmp(&iou(&b.bbox, &face.bbox)));
    Ok(best.unwrap_or_else(|| face.clone()))
}

/// Loads the ONNX model, first giving its `ConstantOfShape` nodes the f32 zero `value` the ONNX
/// specification implies (tract 0.23 reads a missing one as f64, and the model then fails to type).
impl BlazeFace {
    pub fn load(path: &Path) -> Result<Self, EngineError> {
        Ok(Self { plan: load(path)? })
    }
}

fn load(path: &Path) -> Result<Plan, EngineError> {
    let err = |e: TractError| crate::embed::model_error(path, e);
    let onnx = tract_onnx::onnx();
    let mut proto = onnx.proto_model_for_path(path).map_err(err)?;
    if let Some(graph) = proto.graph.as_mut() {
        for node in graph.node.iter_mut() {
            if node.op_type == "ConstantOfShape" && !node.attribute.iter().any(|a| a.name == "value") {
                node.attribute.push(tract_onnx::pb::AttributeProto {
                    name: "value".into(),
                    r#type: 4,
                    t: Some(tract_onnx::pb::TensorProto { dims: vec![1], data_type: 1, float_data: vec![0.0], ..Default::default() }),
                    ..Default::default()
                });
            }
        }
    }
    let plan = onnx
        .model_for_proto_model(&proto)
        .map_err(err)?
        .with_input_fact(0, f32::fact([1, INPUT as usize, INPUT as usize, 3]).into())
        .map_err(err)?
        .into_optimized()
        .map_err(err)?
        .into_runnable()
        .map_err(err)?;
    Ok(plan)
}

/// The anchors' centres, in the model's order: a 16×16 grid with 2 per cell, then 8×8 with 6.
fn anchors() -> Vec<(f32, f32)> {
    let mut out = Vec::with_capacity(896);
    for (grid, per_cell) in [(16usize, 2usize), (8, 6)] {
        for y in 0..grid {
            for x in 0..grid {
                for _ in 0..per_cell {
                    out.push(((x as f32 + 0.5) / grid as f32, (y as f32 + 0.5) / grid as f32));
                }
            }
        }
    }
    out
}

fn run(plan: &Plan, image: &RgbImage) -> Result<Vec<Face>, EngineError> {
    let (w, h) = image.dimensions();
    if w == 0 || h == 0 {
        return Ok(vec![]);
    }
    // Letterbox: the whole image, scaled to fit 128×128, centred on black.
    let scale = INPUT as f32 / w.max(h) as f32;
    let (sw, sh) = (((w as f32 * scale).round() as u32).clamp(1, INPUT), ((h as f32 * scale).round() as u32).clamp(1, INPUT));
    let small = image::imageops::resize(image, sw, sh, image::imageops::FilterType::Triangle);
    let (px, py) = ((INPUT - sw) / 2, (INPUT - sh) / 2);
    let input = tract_ndarray::Array4::from_shape_fn((1, INPUT as usize, INPUT as usize, 3), |(_, y, x, c)| {
        let (x, y) = (x as u32, y as u32);
        if x < px || y < py || x >= px + sw || y >= py + sh { -1.0 } else { f32::from(small.get_pixel(x - px, y - py)[c]) / 127.5 - 1.0 }
    });
    let outputs = plan.run(tvec!(Tensor::from(input).into())).map_err(|e| EngineError::Inference(e.to_string()))?;
    // Four outputs: scores [1,512,1] and [1,384,1], regressors [1,512,16] and [1,384,16]; told
    // apart by shape, in whatever order the export lists them.
    let mut scores = [None, None];
    let mut boxes = [None, None];
    for out in &outputs {
        let view = out.to_plain_array_view::<f32>().map_err(|e| EngineError::Inference(e.to_string()))?;
        let shape = view.shape().to_vec();
        let slot = match shape.get(1) {
            Some(512) => 0,
            Some(384) => 1,
            _ => return Err(EngineError::Inference(format!("unexpected detector output shape {shape:?}"))),
        };
        let values: Vec<f32> = view.iter().copied().collect();
        match shape.get(2) {
            Some(1) => scores[slot] = Some(values),
            Some(16) => boxes[slot] = Some(values),
            _ => return Err(EngineError::Inference(format!("unexpected detector output shape {shape:?}"))),
        }
    }
    let (Some(s0), Some(s1), Some(b0), Some(b1)) = (scores[0].take(), scores[1].take(), boxes[0].take(), boxes[1].take()) else {
        return Err(EngineError::Inference("the detector did not give its four outputs".into()));
    };
    let scores: Vec<f32> = s0.into_iter().chain(s1).collect();
    let regs: Vec<f32> = b0.into_iter().chain(b1).collect();
    let to_image = |nx: f32, ny: f32| ((nx * INPUT as f32 - px as f32) / scale, (ny * INPUT as f32 - py as f32) / scale);
    let mut found = Vec::new();
    for (i, (ax, ay)) in anchors().into_iter().enumerate() {
        let score = 1.0 / (1.0 + (-scores[i].clamp(-100.0, 100.0)).exp());
        if score < MIN_SCORE {
            continue;
        }
        let r = &regs[i * 16..i * 16 + 16];
        let (cx, cy) = (r[0] / INPUT as f32 + ax, r[1] / INPUT as f32 + ay);
        let (bw, bh) = (r[2] / INPUT as f32, r[3] / INPUT as f32);
        let (l, t) = to_image(cx - bw / 2.0, cy - bh / 2.0);
        let (rr, b) = to_image(cx + bw / 2.0, cy + bh / 2.0);
        let mut keypoints = [(0.0, 0.0); 6];
        for (k, kp) in keypoints.iter_mut().enumerate() {
            *kp = to_image(r[4 + 2 * k] / INPUT as f32 + ax, r[5 + 2 * k] / INPUT as f32 + ay);
        }
        found.push(Face { score, bbox: [l, t, rr, b], keypoints });
    }
    Ok(weighted_nms(found))
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let area = |r: &[f32; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    let union = area(a) + area(b) - inter;
    if union <= 0.0 { 0.0 } else { inter / union }
}

/// MediaPipe's weighted non-maximum suppression: overlapping detections are merged into their
/// score-weighted average instead of all but one being dropped (steadier boxes and keypoints).
fn weighted_nms(mut faces: Vec<Face>) -> Vec<Face> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while let Some(top) = faces.first().cloned() {
        let (group, rest): (Vec<Face>, Vec<Face>) = faces.into_iter().partition(|f| iou(&top.bbox, &f.bbox) > NMS_IOU);
        faces = rest;
        let total: f32 = group.iter().map(|f| f.score).sum();
        let mut merged = top.clone();
        for i in 0..4 {
            merged.bbox[i] = group.iter().map(|f| f.bbox[i] * f.score).sum::<f32>() / total;
        }
        for k in 0..6 {
            merged.keypoints[k] = (
                group.iter().map(|f| f.keypoints[k].0 * f.score).sum::<f32>() / total,
                group.iter().map(|f| f.keypoints[k].1 * f.score).sum::<f32>() / total,
            );
        }
        out.push(merged);
    }
    out
}
