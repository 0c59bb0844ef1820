/**
 * The MIME types under which displays carry their summary as JSON data.
 *
 * Not `application/json`: JupyterLab and Notebook 7 rank their JSON viewer
 * (rank 0) before HTML (50), so a bundle holding `application/json` shows a
 * raw JSON explorer instead of the state tree or history table (seen in
 * test/e2e/display-browser.test.ts). A vendor type with the `+json` suffix is
 * still stored as a JSON object in the .ipynb (nbformat parses every `+json`
 * type) for scripts and tests to read, and no front end tries to draw it.
 */
export const STATE_TREE_MIME = "application/vnd.tsnnx.state-tree+json";
export const CHECKPOINT_HISTORY_MIME = "application/vnd.tsnnx.checkpoint-history+json";
