// Camera capture and photo files, both turned into JPEG data URIs the API accepts: resized so
// the longest side is at most `maxSide` and compressed until the file fits `maxBytes` (the API
// refuses more than 4.5 MB of images per request; a document's front and back share that).

export const DOCUMENT_SIDE = 2000;
export const SELFIE_SIDE = 1280;
export const MAX_BYTES = 2_000_000;

/** A camera stream facing `facing` ("user" or "environment"); rejects when there is none or
 * permission is refused, and the caller falls back to a file. */
export async function openCamera(facing) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new Error("no camera API");
  }
  return navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: { ideal: facing }, width: { ideal: 1920 }, height: { ideal: 1080 } },
  });
}

export function stopCamera(stream) {
  if (stream) stream.getTracks().forEach((track) => track.stop());
}

/** Waits until the video shows frames. */
export function ready(video) {
  if (video.readyState >= 2 && video.videoWidth > 0) return Promise.resolve();
  return new Promise((resolve) => video.addEventListener("loadeddata", () => resolve(), { once: true }));
}

function encode(source, width, height, maxSide, maxBytes) {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
  for (const quality of [0.92, 0.85, 0.75, 0.6, 0.45]) {
    const uri = canvas.toDataURL("image/jpeg", quality);
    // base64: 4 characters for 3 bytes.
    if ((uri.length - uri.indexOf(",") - 1) * 0.75 <= maxBytes) return uri;
  }
  throw new Error("too large");
}

/** The video's current frame. */
export function grab(video, maxSide, maxBytes = MAX_BYTES) {
  return encode(video, video.videoWidth, video.videoHeight, maxSide, maxBytes);
}

/** A photo file chosen by the enrollee (EXIF orientation applied). Rejects with "unreadable". */
export async function fromFile(file, maxSide, maxBytes = MAX_BYTES) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    throw new Error("unreadable");
  }
  try {
    return encode(bitmap, bitmap.width, bitmap.height, maxSide, maxBytes);
  } finally {
    bitmap.close();
  }
}

/** "IOS", "ANDROID" or "DESKTOP", as the selfie endpoint asks. */
export function os() {
  const ua = navigator.userAgent || "";
  if (/android/i.test(ua)) return "ANDROID";
  if (/iphone|ipad|ipod/i.test(ua)) return "IOS";
  return "DESKTOP";
}
