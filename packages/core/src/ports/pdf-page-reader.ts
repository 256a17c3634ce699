/** One page's size as a PDF reader sees it: its visible box, in points, already scaled by /UserUnit. */
export interface PdfPageSize {
  width: number;
  height: number;
}

/**
 * Reads a PDF's page tree: how many pages it has and each page's size. The upload path uses it to
 * refuse a PDF with too many pages or a page "bomb" before anything is stored or queued; most PDFs
 * keep their page tree in compressed object streams, which core's byte-level inspectPdf cannot
 * read. The policy (the limits and the refusal's wording) stays in core: see checkPdfPages.
 *
 * Returns null when the reader cannot make sense of the file: the OCR step's own reader then
 * decides (a second line of defence), rather than the upload refusing what it could not parse.
 * Never renders a page, runs a script or fills a form.
 *
 * @example
 * const sizes = await reader.pageSizes(bytes); // [{ width: 612, height: 792 }, …] or null
 * if (sizes) checkPdfPages(sizes); // ValidationError: PDF has 11 pages, at most 10 …
 */
export interface PdfPageReader {
  pageSizes(bytes: Uint8Array): Promise<PdfPageSize[] | null>;
}
