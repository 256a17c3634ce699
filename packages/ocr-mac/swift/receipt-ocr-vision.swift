// receipt-ocr-vision: Apple Vision OCR for the receiptflow worker (macOS 11+).
//
// Contract with VisionOcrEngine (src/vision/vision-ocr-engine.ts):
//   stdin   the image bytes (PNG, JPEG, HEIC, TIFF: whatever ImageIO decodes)
//   stdout  one JSON OCR document in receiptflow's core shape:
//           { engine: "apple-vision", image_width, image_height, lines: [ { text, confidence,
//             bounding_box, top_left, top_right, bottom_left, bottom_right, angle_degrees,
//             angle_radians, words: [ { ..., letters: [ ... ] } ] } ] }
//           Coordinates are Vision's own: normalised 0..1, origin bottom-left.
//   exit    0 ok, 65 (EX_DATAERR) not a decodable image, 70 (EX_SOFTWARE) Vision failed.
//
// Build: ./build.sh (swiftc, no package manager needed). Try: ./.build/receipt-ocr-vision < receipt.png

import CoreGraphics
import Foundation
import ImageIO
import Vision

struct Point: Encodable { let x: Double; let y: Double }
struct Box: Encodable { let x: Double; let y: Double; let width: Double; let height: Double }

/// The geometry every element carries (core's GeometrySchema).
struct Geometry {
    let boundingBox: Box
    let topLeft: Point, topRight: Point, bottomLeft: Point, bottomRight: Point
    let angleDegrees: Double, angleRadians: Double
}

struct Letter: Encodable {
    let text: String; let confidence: Double; let geometry: Geometry
    func encode(to encoder: Encoder) throws { try encodeElement(encoder, text, confidence, geometry) { _ in } }
}

struct Word: Encodable {
    let text: String; let confidence: Double; let geometry: Geometry; let letters: [Letter]
    func encode(to encoder: Encoder) throws {
        try encodeElement(encoder, text, confidence, geometry) { try $0.encode(letters, forKey: .letters) }
    }
}

struct Line: Encodable {
    let text: String; let confidence: Double; let geometry: Geometry; let words: [Word]
    func encode(to encoder: Encoder) throws {
        try encodeElement(encoder, text, confidence, geometry) { try $0.encode(words, forKey: .words) }
    }
}

struct Document: Encodable {
    let engine = "apple-vision"
    let image_width: Int
    let image_height: Int
    let lines: [Line]
}

enum Key: String, CodingKey {
    case text, confidence, bounding_box, top_left, top_right, bottom_left, bottom_right
    case angle_degrees, angle_radians, words, letters
}

/// Writes the fields common to lines, words and letters, then the children via `children`.
func encodeElement(_ encoder: Encoder, _ text: String, _ confidence: Double, _ g: Geometry,
                   children: (inout KeyedEncodingContainer<Key>) throws -> Void) throws {
    var c = encoder.container(keyedBy: Key.self)
    try c.encode(text, forKey: .text)
    try c.encode(confidence, forKey: .confidence)
    try c.encode(g.boundingBox, forKey: .bounding_box)
    try c.encode(g.topLeft, forKey: .top_left)
    try c.encode(g.topRight, forKey: .top_right)
    try c.encode(g.bottomLeft, forKey: .bottom_left)
    try c.encode(g.bottomRight, forKey: .bottom_right)
    try c.encode(g.angleDegrees, forKey: .angle_degrees)
    try c.encode(g.angleRadians, forKey: .angle_radians)
    try children(&c)
}

func fail(_ status: Int32, _ message: String) -> Never {
    FileHandle.standardError.write((message + "\n").data(using: .utf8)!)
    exit(status)
}

/// Geometry of a Vision quadrilateral. The angle is that of the bottom edge measured in pixels
/// (normalised units would skew it on non-square images).
func geometry(of r: VNRectangleObservation, width: Int, height: Int) -> Geometry {
    let p = { (q: CGPoint) in Point(x: Double(q.x), y: Double(q.y)) }
    let dx = Double(r.bottomRight.x - r.bottomLeft.x) * Double(width)
    let dy = Double(r.bottomRight.y - r.bottomLeft.y) * Double(height)
    let radians = atan2(dy, dx)
    let b = r.boundingBox
    return Geometry(
        boundingBox: Box(x: Double(b.origin.x), y: Double(b.origin.y),
                         width: Double(b.size.width), height: Double(b.size.height)),
        topLeft: p(r.topLeft), topRight: p(r.topRight), bottomLeft: p(r.bottomLeft), bottomRight: p(r.bottomRight),
        angleDegrees: radians * 180 / Double.pi, angleRadians: radians)
}

/// Ranges of the whitespace-separated tokens of `s` (keeps "$12.99" whole, unlike word breaking).
func tokenRanges(_ s: String) -> [Range<String.Index>] {
    var ranges: [Range<String.Index>] = []
    var start: String.Index? = nil
    var i = s.startIndex
    while i < s.endIndex {
        if s[i].isWhitespace {
            if let st = start { ranges.append(st..<i); start = nil }
        } else if start == nil {
            start = i
        }
        i = s.index(after: i)
    }
    if let st = start { ranges.append(st..<s.endIndex) }
    return ranges
}

// --- Read and decode the image ---------------------------------------------------------------

let data = FileHandle.standardInput.readDataToEndOfFile()
guard !data.isEmpty,
      let source = CGImageSourceCreateWithData(data as CFData, nil),
      CGImageSourceGetStatus(source) == .statusComplete,  // refuses truncated files
      let cgImage = CGImageSourceCreateImageAtIndex(source, 0, nil)
else { fail(65, "cannot decode image (\(data.count) bytes)") }

// Honour EXIF orientation (phone photos): Vision then reports coordinates of the upright image,
// and the reported size must be the upright one too.
let props = CGImageSourceCopyPropertiesAtIndex(source, 0, nil) as? [CFString: Any]
let rawOrientation = (props?[kCGImagePropertyOrientation] as? UInt32) ?? 1
let orientation = CGImagePropertyOrientation(rawValue: rawOrientation) ?? .up
let quarterTurned = [CGImagePropertyOrientation.left, .leftMirrored, .right, .rightMirrored].contains(orientation)
let width = quarterTurned ? cgImage.height : cgImage.width
let height = quarterTurned ? cgImage.width : cgImage.height

// --- Recognise ---------------------------------------------------------------------------------

let request = VNRecognizeTextRequest()
request.recognitionLevel = .accurate
request.usesLanguageCorrection = true
do {
    try VNImageRequestHandler(cgImage: cgImage, orientation: orientation, options: [:]).perform([request])
} catch {
    fail(70, "VNRecognizeTextRequest failed: \(error.localizedDescription)")
}

// --- Lines → words → letters -------------------------------------------------------------------

var lines: [Line] = []
for observation in request.results ?? [] {
    guard let candidate = observation.topCandidates(1).first else { continue }
    let text = candidate.string
    let confidence = min(1, max(0, Double(candidate.confidence)))
    let lineGeometry = geometry(of: observation, width: width, height: height)
    var words: [Word] = []
    for range in tokenRanges(text) {
        // Vision has no per-word confidence: words and letters carry their line's.
        let wordBox = try? candidate.boundingBox(for: range)
        let wordGeometry = wordBox.map { geometry(of: $0, width: width, height: height) } ?? lineGeometry
        var letters: [Letter] = []
        var i = range.lowerBound
        while i < range.upperBound {
            let next = text.index(after: i)
            let letterBox = try? candidate.boundingBox(for: i..<next)
            letters.append(Letter(text: String(text[i..<next]), confidence: confidence,
                                  geometry: letterBox.map { geometry(of: $0, width: width, height: height) } ?? wordGeometry))
            i = next
        }
        words.append(Word(text: String(text[range]), confidence: confidence, geometry: wordGeometry, letters: letters))
    }
    lines.append(Line(text: text, confidence: confidence, geometry: lineGeometry, words: words))
}
// Top of the receipt first (larger y is higher with a bottom-left origin).
lines.sort { $0.geometry.boundingBox.y + $0.geometry.boundingBox.height > $1.geometry.boundingBox.y + $1.geometry.boundingBox.height }

let encoder = JSONEncoder()
do {
    let json = try encoder.encode(Document(image_width: width, image_height: height, lines: lines))
    FileHandle.standardOutput.write(json)
} catch {
    fail(70, "cannot encode the OCR document: \(error)")
}
