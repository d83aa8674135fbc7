//! Images sent inside JSON (document fronts and backs, selfies): base64 or a `data:image/…;base64,`
//! URI, at most 4.5 MB decoded per request (so a request fits API Gateway's and Lambda's 6 MB
//! payload; the single-node server applies the same limit), and decoded under pixel and memory
//! limits so a small file that expands to gigabytes (a decompression bomb) is refused before it is
//! expanded. Only JPEG, PNG and WebP are accepted.

use crate::error::ApiError;
use base64::Engine;
use smartenroll_domain::error::FieldError;
use std::io::Cursor;

/// Decoded image bytes a request may carry in total.
pub const MAX_IMAGE_BYTES: usize = 4_500_000;
/// Largest accepted image: 40 megapixels (a 12 MP phone photo is 12).
pub const MAX_PIXELS: u64 = 40_000_000;
/// Longest side accepted.
const MAX_SIDE: u32 = 12_000;
/// The decoder's allocation ceiling.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// A checked image: its bytes as sent, what it is and its size in pixels.
#[derive(Debug, Clone)]
pub struct Image {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(field, message)])
}

/// Reads `value` (base64 or a data URI) as an image, or says what is wrong with it under `field`.
pub fn decode(field: &str, value: &str) -> Result<Image, ApiError> {
    read(field, value).map(|(image, _)| image)
}

/// As [`decode`], with the decoded pixels (for the face engine).
pub fn decode_rgb(field: &str, value: &str) -> Result<(Image, image::RgbImage), ApiError> {
    read(field, value).map(|(image, pixels)| (image, pixels.to_rgb8()))
}

/// Decodes stored image bytes (already checked when they were accepted) under the same limits.
pub fn rgb_from_bytes(bytes: &[u8]) -> Result<image::RgbImage, String> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| e.to_string())?;
    reader.limits(limits());
    reader.decode().map(|i| i.to_rgb8()).map_err(|e| e.to_string())
}

/// Stored or fetched image bytes decoded under the same limits, keeping transparency (logos).
pub fn dynamic_from_bytes(bytes: &[u8]) -> Result<image::DynamicImage, String> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| e.to_string())?;
    reader.limits(limits());
    reader.decode().map_err(|e| e.to_string())
}

fn limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

fn read(field: &str, value: &str) -> Result<(Image, image::DynamicImage), ApiError> {
    let text = value.trim();
    let payload = match text.strip_prefix("data:") {
        Some(rest) => {
            let (meta, data) = rest.split_once(',').ok_or_else(|| invalid(field, "is a data URI without data"))?;
            if !meta.ends_with(";base64") || !meta.starts_with("image/") {
                return Err(invalid(field, "must be a base64 image data URI (data:image/jpeg;base64,...)"));
            }
            data
        }
        None => text,
    };
    // Upper bound before decoding: base64 is 4 characters per 3 bytes.
    if payload.len() / 4 * 3 > MAX_IMAGE_BYTES + 3 {
        return Err(ApiError::PayloadTooLarge(MAX_IMAGE_BYTES));
    }
    let compact: String = payload.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(compact.as_bytes()))
        .map_err(|_| invalid(field, "must be base64 (or a data URI)"))?;
    if bytes.len() < 100 {
        return Err(ApiError::PreconditionFailed(format!("only_images_in_base64: {field} is too small to be an image")));
    }
    from_bytes(field, bytes)
}

/// As [`decode_rgb`], for bytes fetched from a URL (the face APIs' `https://` images).
pub fn bytes_rgb(field: &str, bytes: Vec<u8>) -> Result<(Image, image::RgbImage), ApiError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ApiError::PayloadTooLarge(MAX_IMAGE_BYTES));
    }
    from_bytes(field, bytes).map(|(image, pixels)| (image, pixels.to_rgb8()))
}

/// Format, size and a full decode under the limits.
fn from_bytes(field: &str, bytes: Vec<u8>) -> Result<(Image, image::DynamicImage), ApiError> {
    let reader =
        image::ImageReader::new(Cursor::new(&bytes[..])).with_guessed_format().map_err(|_| invalid(field, "is not a readable image"))?;
    let (content_type, extension) = match reader.format() {
        Some(image::ImageFormat::Jpeg) => ("image/jpeg", "jpg"),
        Some(image::ImageFormat::Png) => ("image/png", "png"),
        Some(image::ImageFormat::WebP) => ("image/webp", "webp"),
        _ => return Err(invalid(field, "must be a JPEG, PNG or WebP image")),
    };
    let (width, height) = reader.into_dimensions().map_err(|_| invalid(field, "is not a readable image"))?;
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(invalid(field, &format!("is {width}x{height} pixels; at most {MAX_PIXELS} pixels and {MAX_SIDE} per side")));
    }
    // Decoding the whole image proves it is not truncated or corrupt, within the limits.
    let mut reader =
        image::ImageReader::new(Cursor::new(&bytes[..])).with_guessed_format().map_err(|_| invalid(field, "is not a readable image"))?;
    reader.limits(limits());
    let pixels = reader.decode().map_err(|_| invalid(field, "is not a complete, readable image"))?;
    Ok((Image { bytes, content_type, extension, width, height }, pixels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).expect("encode");
        out.into_inner()
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn a_png_in_base64_or_a_data_uri_is_read_with_its_size() {
        let bytes = png(64, 48);
        let img = decode("image", &b64(&bytes)).expect("plain base64");
        assert_eq!((img.content_type, img.width, img.height, img.bytes.len()), ("image/png", 64, 48, bytes.len()));
        let img = decode("image", &format!("data:image/png;base64,{}", b64(&bytes))).expect("data URI");
        assert_eq!(img.extension, "png");
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_it_is_expanded() {
        // 20000 x 20000 pixels of one colour: a small PNG that would expand to 1.2 GB.
        let mut out = Cursor::new(Vec::new());
        {
            let mut encoder = png::Encoder::new(&mut out, 20_000, 20_000);
            encoder.set_color(png::ColorType::Grayscale);
            encoder.set_depth(png::BitDepth::One);
            let mut writer = encoder.write_header().expect("header");
            writer.write_image_data(&vec![0u8; 20_000 / 8 * 20_000]).expect("rows");
        }
        let bytes = out.into_inner();
        assert!(bytes.len() < MAX_IMAGE_BYTES, "the bomb itself is small: {} bytes", bytes.len());
        match decode("image", &b64(&bytes)) {
            Err(ApiError::Validation(d)) => assert!(d[0].message.contains("20000x20000"), "{d:?}"),
            other => panic!("expected a refusal, got {:?}", other.map(|i| (i.width, i.height))),
        }
    }

    #[test]
    fn text_truncated_images_and_oversized_payloads_are_refused() {
        assert!(matches!(decode("image", "not base64 at all!"), Err(ApiError::Validation(_))));
        assert!(matches!(decode("image", &b64(&[0u8; 50])), Err(ApiError::PreconditionFailed(_))));
        assert!(matches!(decode("image", &b64(&[7u8; 500])), Err(ApiError::Validation(_))), "bytes that are no image");
        let mut truncated = png(64, 64);
        truncated.truncate(truncated.len() / 2);
        assert!(matches!(decode("image", &b64(&truncated)), Err(ApiError::Validation(_))));
        let huge = "A".repeat(MAX_IMAGE_BYTES / 3 * 4 + 400);
        assert!(matches!(decode("image", &huge), Err(ApiError::PayloadTooLarge(_))));
        assert!(matches!(decode("image", "data:text/plain;base64,aGVsbG8="), Err(ApiError::Validation(_))));
    }
}
