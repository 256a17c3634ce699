#!/bin/sh
# Builds the Apple Vision helper on macOS (Xcode or the Command Line Tools: `xcode-select --install`).
# Output: swift/.build/receipt-ocr-vision, where `receipt-ocr --engine vision` looks by default.
set -eu
cd "$(dirname "$0")"
if [ "$(uname -s)" != "Darwin" ]; then
  echo "build.sh: the Vision helper needs macOS (Vision.framework); use --engine tesseract elsewhere" >&2
  exit 1
fi
mkdir -p .build
swiftc -O -target "$(uname -m)-apple-macos11" \
  -framework Vision -framework CoreGraphics -framework ImageIO \
  -o .build/receipt-ocr-vision receipt-ocr-vision.swift
echo "built $(pwd)/.build/receipt-ocr-vision"
