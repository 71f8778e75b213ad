// Drives Jupyter Notebook 6 (classic UI, as Debian bookworm ships it) in
// headless Chromium against the Go kernel: new notebook → Go kernel, a
// printing cell, a result cell, a compile error, and an interrupt from the
// toolbar. Writes screenshots and results.json into the artefacts directory.
//
//   GOKERNEL_BIN=/tmp/k8/gokernel node e2e/browser/notebook.mjs
//
// Environment: GOKERNEL_BIN (else `go build` into a temp dir), ARTIFACTS (else
// e2e/artifacts/browser), CHROMIUM (else /usr/bin/chromium), JUPYTER_NOTEBOOK
// (else /usr/bin/jupyter-notebook). Exits 0 when no step failed.

import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARTIFACTS = process.env.ARTIFACTS || join(REPO, 'e2e', 'artifacts', 'browser');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const NOTEBOOK = process.env.JUPYTER_NOTEBOOK || '/usr/bin/jupyter-notebook';
const KERNEL = 'gobrowser';
const DISPLAY_NAME = 'Go (browser test)';
const TIMEOUT = 30_000; // ms for one wait in the page
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const results = [];

// --- the notebook server -------------------------------------------------

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer().on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

function goKernelBinary(root) {
  if (process.env.GOKERNEL_BIN) return process.env.GOKERNEL_BIN;
  const bin = join(root, 'gokernel');
  execFileSync('go', ['build', '-o', bin, './cmd/gokernel'], { cwd: REPO, stdio: 'inherit' });
  return bin;
}

async function startServer(root) {
  const dirs = Object.fromEntries(['prefix', 'runtime', 'config', 'data', 'ipython', 'notebooks']
    .map((d) => [d, join(root, d)]));
  Object.values(dirs).forEach((d) => mkdirSync(d, { recursive: true }));
  execFileSync(goKernelBinary(root), ['install', '--prefix', dirs.prefix, '--name', KERNEL,
    '--display-name', DISPLAY_NAME]);

  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const log = openSync(join(ARTIFACTS, 'notebook-server.log'), 'w');
  const server = spawn(NOTEBOOK, [
    '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0',
    `--NotebookApp.token=${token}`, `--notebook-dir=${dirs.notebooks}`,
    ...(process.getuid?.() === 0 ? ['--allow-root'] : []), // the server refuses root otherwise
  ], {
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      JUPYTER_PATH: join(dirs.prefix, 'share', 'jupyter'),
      JUPYTER_RUNTIME_DIR: dirs.runtime,
      JUPYTER_CONFIG_DIR: dirs.config,
      JUPYTER_DATA_DIR: dirs.data,
      IPYTHONDIR: dirs.ipython,
    },
  });
  const exited = new Promise((ok) => server.on('exit', (code, signal) => ok({ code, signal })));
  const base = `http://127.0.0.1:${port}`;
  const specs = await untilServerAnswers(`${base}/api/kernelspecs?token=${token}`, exited);
  if (!specs.kernelspecs[KERNEL]) {
    throw new Error(`the server does not list kernel ${KERNEL}: ${Object.keys(specs.kernelspecs)}`);
  }
  const status = await (await fetch(`${base}/api/?token=${token}`)).json();
  return { server, exited, base, token, version: status.version };
}

// Polls url until it answers 200 (the server is up) or the server exits.
async function untilServerAnswers(url, exited) {
  const deadline = Date.now() + 60_000;
  let gone = null;
  exited.then((how) => { gone = how; });
  while (Date.now() < deadline) {
    if (gone) throw new Error(`jupyter-notebook exited early (${JSON.stringify(gone)}); see notebook-server.log`);
    try {
      const res = await fetch(url);
      if (res.ok) return res.json();
    } catch { /* not listening yet */ }
    await new Promise((ok) => setTimeout(ok, 100)); // poll interval, bounded by the deadline
  }
  throw new Error(`jupyter-notebook did not answer ${url} within 60 s`);
}

async function stopServer({ server, exited, base, token }) {
  // Shut the kernels down through the API so none outlives the server.
  try {
    const kernels = await (await fetch(`${base}/api/kernels?token=${token}`)).json();
    await Promise.all(kernels.map((k) => fetch(`${base}/api/kernels/${k.id}?token=${token}`, { method: 'DELETE' })));
  } catch (err) {
    console.error(`could not list or stop the kernels: ${err}`);
  }
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

// --- steps -----------------------------------------------------------------

async function step(name, page, fn) {
  const shot = join(ARTIFACTS, `${String(results.length + 1).padStart(2, '0')}-${name}.png`);
  const result = { name, status: 'passed', detail: '', screenshot: shot };
  try {
    const note = await fn();
    if (note) Object.assign(result, note);
  } catch (err) {
    result.status = 'failed';
    result.detail = String(err.stack || err);
  }
  if (page) await page.screenshot({ path: shot, fullPage: true }).catch(() => { result.screenshot = ''; });
  results.push(result);
  console.log(`${result.status.toUpperCase()} ${name}${result.detail ? `: ${result.detail.split('\n')[0]}` : ''}`);
  return result.status !== 'failed';
}

// The classic notebook's cell i (0-based) and its outputs.
const cell = (page, i) => page.locator('#notebook-container .cell').nth(i);
const outputs = (page, i) => cell(page, i).locator('.output_area');

// Types code into cell i the way a user does, checks that the editor holds
// exactly that text (auto-closed brackets would change it), runs it with
// Shift+Enter and waits until the kernel has answered.
async function typeAndRun(page, i, code) {
  await cell(page, i).locator('.CodeMirror').click();
  const lines = code.split('\n');
  for (const [n, line] of lines.entries()) {
    await page.keyboard.type(line);
    if (n < lines.length - 1) await page.keyboard.press('Enter');
  }
  const typed = await page.evaluate((idx) => Jupyter.notebook.get_cell(idx).get_text(), i);
  if (typed !== code) throw new Error(`cell ${i} holds ${JSON.stringify(typed)}, typed ${JSON.stringify(code)}`);
  await page.keyboard.press('Shift+Enter');
  await waitPrompt(page, i, /In\s*\[\d+\]/);
}

async function waitPrompt(page, i, re) {
  await cell(page, i).locator('.input_prompt').filter({ hasText: re }).waitFor({ timeout: TIMEOUT });
}

async function waitOutput(page, i, selector, re) {
  await outputs(page, i).locator(selector).filter({ hasText: re }).first().waitFor({ timeout: TIMEOUT });
}

async function newGoNotebook(context, base, token) {
  const tree = await context.newPage();
  await tree.goto(`${base}/tree?token=${token}`);
  await tree.locator('#new-dropdown-button').click();
  const [page] = await Promise.all([
    context.waitForEvent('page', { timeout: TIMEOUT }),
    tree.locator(`#kernel-${KERNEL} a`).click(),
  ]);
  await page.locator('#notebook-container .cell .CodeMirror').first().waitFor({ timeout: TIMEOUT });
  await page.locator('.kernel_indicator_name').filter({ hasText: DISPLAY_NAME }).waitFor({ timeout: TIMEOUT });
  await page.locator('#kernel_indicator_icon.kernel_idle_icon').waitFor({ timeout: TIMEOUT });
  return page;
}

async function run() {
  mkdirSync(ARTIFACTS, { recursive: true });
  const root = mkdtempSync(join(tmpdir(), 'gokernel-browser-'));
  const srv = await startServer(root);
  console.log(`notebook server ${srv.version} at ${srv.base}`);
  if (!srv.version.startsWith('6.')) console.log('warning: the selectors are written for the classic Notebook 6 UI');
  let context = null;
  let page = null;
  try {
    context = await chromium.launchPersistentContext(join(root, 'chromium-profile'), {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
    });
    const opened = await step('open-go-notebook', null, async () => {
      page = await newGoNotebook(context, srv.base, srv.token);
      return { detail: `kernel ${DISPLAY_NAME}, server ${srv.version}` };
    });
    if (!opened) return;
    await page.screenshot({ path: join(ARTIFACTS, '00-new-notebook.png'), fullPage: true });

    await step('print', page, async () => {
      await typeAndRun(page, 0, 'import "fmt"\nfmt.Println("hello from Go in the browser", 6*7)');
      await waitOutput(page, 0, '.output_stdout', 'hello from Go in the browser 42');
    });

    await step('html', page, async () => {
      await typeAndRun(page, 1, 'display.HTML(fmt.Sprintf("<b>%d</b>", 6*7))');
      // The cell's value is HTML: the browser renders the tag, not its text.
      const bold = outputs(page, 1).locator('b');
      await bold.waitFor({ timeout: TIMEOUT });
      const text = await bold.textContent();
      if (text !== '42') throw new Error(`rendered HTML says ${JSON.stringify(text)}, want "42"`);
    });

    await step('compile-error', page, async () => {
      await typeAndRun(page, 2, 'var n int = "not a number"');
      await waitOutput(page, 2, '.output_error', /CompileError.*cannot convert "not a number" to int/);
      await waitOutput(page, 2, '.output_error', 'at line 1, column 13 of the cell');
    });

    await step('interrupt', page, async () => {
      await cell(page, 3).locator('.CodeMirror').click();
      await page.keyboard.type('for {}');
      await page.keyboard.press('Shift+Enter');
      await waitPrompt(page, 3, /In\s*\[\*\]/);
      await page.locator('#kernel_indicator_icon.kernel_busy_icon').waitFor({ timeout: TIMEOUT });
      await page.screenshot({ path: join(ARTIFACTS, '05-interrupt-running.png'), fullPage: true });
      await page.locator('button[data-jupyter-action="jupyter-notebook:interrupt-kernel"]').click();
      await waitOutput(page, 3, '.output_error', /Interrupted.*the cell was interrupted/);
      await waitPrompt(page, 3, /In\s*\[\d+\]/);
      await page.locator('#kernel_indicator_icon.kernel_idle_icon').waitFor({ timeout: TIMEOUT });
    });

    await step('after-interrupt', page, async () => {
      await typeAndRun(page, 4, 'fmt.Println("still here after the interrupt")');
      await waitOutput(page, 4, '.output_stdout', 'still here after the interrupt');
    });
  } finally {
    await context?.close();
    await stopServer(srv);
    writeFileSync(join(ARTIFACTS, 'results.json'), JSON.stringify({ server: srv.version, results }, null, 1));
  }
}

try {
  await run();
} catch (err) {
  results.push({ name: 'setup', status: 'failed', detail: String(err.stack || err) });
  writeFileSync(join(ARTIFACTS, 'results.json'), JSON.stringify({ results }, null, 1));
  console.error(err);
}
process.exitCode = results.some((r) => r.status === 'failed') ? 1 : 0;
