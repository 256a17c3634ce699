/** The Pipeline view: jobs by status, queues and DLQs, compaction runs (issue 16; filled by the pipeline API's work). */
export function PipelineView() {
  return (
    <section aria-labelledby="pipeline-title">
      <h1 id="pipeline-title">Pipeline</h1>
      <p class="message">The pipeline view is not available yet.</p>
    </section>
  );
}
