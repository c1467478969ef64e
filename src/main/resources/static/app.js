'use strict';
// The playground: a form for POST /generate, the job's server-sent events as a progress bar with previews, a
// gallery of finished jobs and the history that GET /jobs keeps. Plain browser JavaScript, no build step; every URL is
// relative to the page.

const $ = (id) => document.getElementById(id);
const form = $('generate-form');
const NUMBER_FIELDS = ['steps', 'guidance_scale', 'seed', 'width', 'height', 'num_images'];
/** A marker in the JSON of "copy as curl", replaced by a shell substitution that base64-encodes the start image. */
const INIT_IMAGE_MARKER = '__init_image__';
/** Where the API key lives: this tab's session storage, never a cookie or the URL. */
const API_KEY_STORE = 'diffusion-api-key';
/** File name extensions of the output formats. */
const EXTENSIONS = {png: 'png', jpeg: 'jpg', webp: 'webp'};
/** Jobs per page of the history. */
const HISTORY_PAGE = 10;

let models = [];
let initImage = null;   // {dataUrl, name} of the chosen start image
let current = null;     // {id, events} of the job being followed
let historyCursor = null;  // next_cursor of the last history page shown

bindForm();
loadCatalog();
loadHistory(true);

async function loadCatalog() {
    try {
        const [modelList, schedulers] = await Promise.all([getJson('models'), getJson('schedulers')]);
        models = modelList;
        fillSelect($('model'), modelList.map((m) => m.name));
        fillSelect($('scheduler'), schedulers);
        const preferred = modelList.find((m) => m.is_default) || modelList[0];
        $('model').value = preferred.name;
        applyModelDefaults(preferred);
    } catch (error) {
        showFormError('Could not load the models and schedulers: ' + error.message);
    }
}

function bindForm() {
    $('api_key').value = sessionStorage.getItem(API_KEY_STORE) || '';
    $('api-key-box').open = $('api_key').value !== '';
    $('api_key').addEventListener('change', () => {
        sessionStorage.setItem(API_KEY_STORE, apiKey());
        clearErrors();
        loadCatalog();
        loadHistory(true);
    });
    form.addEventListener('submit', (event) => {
        event.preventDefault();
        submit();
    });
    $('model').addEventListener('change', () => {
        applyModelDefaults(models.find((m) => m.name === $('model').value));
    });
    $('dice').addEventListener('click', () => {
        $('seed').value = crypto.getRandomValues(new Uint32Array(1))[0];
    });
    $('init_image').addEventListener('change', readInitImage);
    $('init-clear').addEventListener('click', () => setInitImage(null));
    $('strength').addEventListener('input', () => {
        $('strength-value').value = $('strength').value;
    });
    $('cancel').addEventListener('click', cancelCurrent);
    $('history-refresh').addEventListener('click', () => loadHistory(true));
    $('history-more').addEventListener('click', () => loadHistory(false));
}

function applyModelDefaults(model) {
    if (!model) {
        return;
    }
    $('steps').value = model.default_steps;
    $('guidance_scale').value = model.default_guidance_scale;
    $('scheduler').value = model.default_scheduler;
    $('recommended').textContent = 'Recommended for ' + model.name + ': ' + model.default_scheduler + ', '
        + model.default_steps + ' steps, guidance ' + model.default_guidance_scale
        + (model.guidance_embedding ? ' (guidance built into the model: one pass per step, no negative prompt)' : '');
    for (const side of ['width', 'height']) {
        $(side).value = model.sample_size;
        $(side).step = model.size_multiple;
        $(side).min = model.size_multiple;
    }
    const img2img = form.querySelector('.img2img');
    img2img.disabled = !model.image_to_image;
    if (!model.image_to_image) {
        setInitImage(null);
    }
}

function readInitImage() {
    const file = $('init_image').files[0];
    if (!file) {
        setInitImage(null);
        return;
    }
    const reader = new FileReader();
    reader.onload = () => setInitImage({dataUrl: reader.result, name: file.name});
    reader.onerror = () => showFieldErrors([{field: 'init_image', message: 'could not be read'}]);
    reader.readAsDataURL(file);
}

function setInitImage(image) {
    initImage = image;
    $('init-preview').hidden = !image;
    $('strength').disabled = !image;
    if (image) {
        $('init-thumb').src = image.dataUrl;
    } else {
        $('init_image').value = '';
        $('init-thumb').removeAttribute('src');
    }
}

/** The request body: empty optional fields are left out so that the server fills in its defaults. */
function requestBody() {
    const body = {prompt: $('prompt').value, model: $('model').value, scheduler: $('scheduler').value,
        output_format: $('output_format').value};
    if ($('negative_prompt').value) {
        body.negative_prompt = $('negative_prompt').value;
    }
    for (const name of NUMBER_FIELDS) {
        if ($(name).value !== '') {
            body[name] = Number($(name).value);
        }
    }
    if (initImage) {
        body.init_image = initImage.dataUrl;
        body.strength = Number($('strength').value);
    }
    return body;
}

async function submit() {
    clearErrors();
    const unreadable = NUMBER_FIELDS.filter((name) => $(name).validity.badInput);
    if (unreadable.length > 0) {
        showFieldErrors(unreadable.map((name) => ({field: name, message: 'must be a number'})));
        return;
    }
    const body = requestBody();
    setBusy(true);
    try {
        const response = await fetch('generate', {
            method: 'POST',
            headers: authorized({'Content-Type': 'application/json', 'Accept': 'application/json'}),
            body: JSON.stringify(body),
        });
        const answer = await response.json().catch(() => null);
        if (!response.ok) {
            showProblem(response, answer);
            setBusy(false);
            return;
        }
        follow(answer, initImage && initImage.name);
    } catch (error) {
        showFormError('The service did not answer: ' + error.message);
        setBusy(false);
    }
}

/** Follows a job through its server-sent events until it ends. */
function follow(job, initImageName) {
    const url = 'jobs/' + encodeURIComponent(job.id) + '/events';
    // EventSource cannot send an Authorization header: with a key the stream is read through fetch instead
    const events = apiKey() ? new AuthorizedEventStream(url, authorized({})) : new EventSource(url);
    current = {id: job.id, events};
    $('job').hidden = false;
    $('job-preview').hidden = true;
    showProgress(0, job.progress.total_steps);
    setStatus('Queued');

    const on = (type, handler) => events.addEventListener(type, (event) => handler(JSON.parse(event.data)));
    on('queued', (queued) => setStatus(queued.queue_position > 0
        ? 'Queued: ' + queued.queue_position + ' job(s) ahead' : 'Queued: next to run'));
    on('started', () => setStatus('Running'));
    on('progress', (progress) => {
        showProgress(progress.step, progress.total_steps);
        setStatus('Step ' + progress.step + ' of ' + progress.total_steps);
        if (progress.preview) {
            $('job-preview').src = progress.preview;
            $('job-preview').hidden = false;
        }
    });
    on('succeeded', (done) => {
        finish(events);
        $('job').hidden = true;
        addResult(done, initImageName);
    });
    on('failed', (failed) => {
        finish(events);
        setStatus('Failed');
        showFormError(failed.error ? failed.error.title + ': ' + failed.error.detail : 'The job failed.');
    });
    on('cancelled', () => {
        finish(events);
        setStatus('Cancelled');
    });
    events.onerror = () => {
        // EventSource reconnects by itself (the server replays the job's state); CLOSED means it gave up
        if (events.readyState === EventSource.CLOSED && current && current.events === events) {
            finish(events);
            setStatus('Lost the connection to the job\'s events; see jobs/' + job.id);
        }
    };
}

function finish(events) {
    events.close();
    current = null;
    setBusy(false);
    loadHistory(true);
}

async function cancelCurrent() {
    if (!current) {
        return;
    }
    setStatus('Cancelling…');
    // the job's 'cancelled' event ends the stream; only a refusal needs handling here
    const response = await fetch('jobs/' + encodeURIComponent(current.id),
        {method: 'DELETE', headers: authorized({})});
    if (!response.ok) {
        showProblem(response, await response.json().catch(() => null));
    }
}

function addResult(job, initImageName) {
    const card = $('result-template').content.firstElementChild.cloneNode(true);
    const request = job.request;
    const images = card.querySelector('.images');
    for (const image of job.images) {
        const figure = document.createElement('figure');
        const img = document.createElement('img');
        img.width = request.width;
        img.height = request.height;
        img.alt = request.prompt + ' (seed ' + image.seed + ')';
        // small images are shown enlarged: keep their pixels sharp rather than blurred
        img.classList.toggle('pixelated', request.width <= 128);
        const caption = document.createElement('figcaption');
        const download = document.createElement('a');
        download.download = 'diffusion-' + image.seed + '.' + EXTENSIONS[request.output_format];
        showImage(image.url, img, download);
        download.textContent = 'Download';
        download.setAttribute('aria-label', 'Download the image of seed ' + image.seed);
        caption.append('Seed ' + image.seed + ' · ', download);
        figure.append(img, caption);
        images.append(figure);
    }
    const params = card.querySelector('.params');
    const lastSeed = request.seed + request.num_images - 1;
    const rows = [
        ['Prompt', request.prompt],
        ['Negative prompt', request.negative_prompt],
        ['Model', request.model],
        ['Size', request.width + ' × ' + request.height],
        ['Steps', request.steps],
        ['Scheduler', request.scheduler],
        ['Guidance', request.guidance_scale],
        ['Seed', request.num_images > 1 ? request.seed + '–' + lastSeed : request.seed],
        ['Format', request.output_format],
        ['Start image', initImageName ? initImageName + ', strength ' + request.strength : ''],
    ];
    for (const [name, value] of rows) {
        if (value !== '' && value !== null && value !== undefined) {
            const term = document.createElement('dt');
            term.textContent = name;
            const detail = document.createElement('dd');
            detail.textContent = value;
            params.append(term, detail);
        }
    }
    const curl = curlCommand(request, initImageName);
    card.querySelector('.curl code').textContent = curl;
    card.querySelector('.copy-curl').addEventListener('click', () => copy(card, curl));
    $('empty-gallery').hidden = true;
    $('gallery').prepend(card);
}

/** A shell command that runs the same request again, with the seed that was used. */
function curlCommand(request, initImageName) {
    const body = {};
    for (const [name, value] of Object.entries(request)) {
        if (value !== null && value !== '') {
            body[name] = value;
        }
    }
    if (initImageName) {
        body.init_image = INIT_IMAGE_MARKER;
    }
    let json = shellSingleQuoted(JSON.stringify(body));
    if (initImageName) {
        // close the quote, let the shell base64-encode the file, reopen the quote
        json = json.replace(INIT_IMAGE_MARKER, '\'"$(base64 -w0 ' + shellSingleQuoted(initImageName) + ')"\'');
    }
    const url = new URL('generate?wait=true', document.baseURI).href;
    const single = request.num_images === 1;
    const format = request.output_format;
    // the key itself stays out of the command (it is often pasted where others see it): the shell supplies it
    const auth = apiKey() ? '     -H "Authorization: Bearer $DIFFUSION_API_KEY" \\\n' : '';
    return 'curl -s -X POST ' + shellSingleQuoted(url) + ' \\\n' + auth
        + '     -H \'Content-Type: application/json\''
        + (single ? ' -H \'Accept: image/' + format + '\'' : '') + ' \\\n'
        + '     -d ' + json + (single ? ' -o image.' + EXTENSIONS[format] : '');
}

function shellSingleQuoted(text) {
    return '\'' + text.replace(/'/g, '\'\\\'\'') + '\'';
}

async function copy(card, text) {
    const note = card.querySelector('.copied');
    try {
        await navigator.clipboard.writeText(text);
        note.textContent = 'Copied';
    } catch (error) {
        // the clipboard needs a secure context (https or localhost): let the user copy it by hand
        const details = card.querySelector('details');
        details.open = true;
        getSelection().selectAllChildren(details.querySelector('code'));
        note.textContent = 'Selected: press Ctrl+C to copy';
    }
}

// ---- history ----

/** Shows the first page of GET /jobs ({@code reset}) or appends the next one. */
async function loadHistory(reset) {
    const query = new URLSearchParams({limit: HISTORY_PAGE});
    if (!reset && historyCursor) {
        query.set('cursor', historyCursor);
    }
    try {
        const page = await getJson('jobs?' + query);
        const rows = $('history').tBodies[0];
        if (reset) {
            rows.replaceChildren();
        }
        rows.append(...page.jobs.map(historyRow));
        historyCursor = page.next_cursor;
        $('history').hidden = rows.rows.length === 0;
        $('history-empty').hidden = rows.rows.length > 0;
        $('history-more').hidden = !historyCursor;
        $('history-error').hidden = true;
    } catch (error) {
        $('history-error').textContent = 'Could not load the history: ' + error.message;
        $('history-error').hidden = false;
    }
}

function historyRow(job) {
    const row = document.createElement('tr');
    row.dataset.job = job.id;
    const created = new Date(job.created_at);
    const status = job.status === 'running' && job.progress
        ? 'running (' + job.progress.step + '/' + job.progress.total_steps + ')' : job.status;
    const cells = [created.toLocaleString(), status, job.request.prompt, job.request.output_format];
    for (const text of cells) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.append(cell);
    }
    row.cells[0].title = job.created_at;
    row.cells[1].className = 'status status-' + job.status;
    row.cells[2].className = 'prompt';
    const images = document.createElement('td');
    for (const image of job.images) {
        const link = document.createElement('a');
        link.textContent = 'seed ' + image.seed;
        link.href = image.url;
        link.target = '_blank';
        link.rel = 'noopener';
        link.addEventListener('click', (event) => openImage(event, image.url));
        images.append(link);
    }
    row.append(images);
    return row;
}

/** With a key, an image opens as a fetched blob (a link cannot send the header); without, the link just works. */
async function openImage(event, url) {
    if (!apiKey()) {
        return;
    }
    event.preventDefault();
    const opened = window.open('', '_blank');
    try {
        const response = await fetch(url, {headers: authorized({'Accept': 'image/*'})});
        if (!response.ok) {
            throw new Error(url + ' answered ' + response.status);
        }
        opened.location = URL.createObjectURL(await response.blob());
    } catch (error) {
        opened.close();
        $('history-error').textContent = 'Could not open the image: ' + error.message;
        $('history-error').hidden = false;
    }
}

// ---- errors ----

function showProblem(response, problem) {
    if (problem && Array.isArray(problem.errors) && problem.errors.length > 0) {
        showFieldErrors(problem.errors);
        return;
    }
    let message = problem && (problem.detail || problem.title) || response.status + ' ' + response.statusText;
    const retryAfter = response.headers.get('Retry-After');
    if (retryAfter) {
        message += ' (retry in ' + retryAfter + ' s)';
    }
    showFormError(message);
}

/** Each error next to its field; errors of fields the form does not show go to the top of the form. */
function showFieldErrors(errors) {
    const unplaced = [];
    let first = null;
    for (const error of errors) {
        const field = form.querySelector('.field[data-field="' + CSS.escape(error.field) + '"]');
        const input = field && field.querySelector('input, select, textarea');
        if (!input) {
            unplaced.push(error.field + ': ' + error.message);
            continue;
        }
        const message = document.createElement('p');
        message.className = 'error';
        message.id = 'error-' + error.field;
        message.textContent = error.message;
        field.append(message);
        field.classList.add('invalid');
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', ((input.getAttribute('aria-describedby') || '') + ' ' + message.id)
            .trim());
        first = first || input;
    }
    if (unplaced.length > 0) {
        showFormError(unplaced.join('; '));
    }
    if (first) {
        first.focus();
    }
}

function showFormError(message) {
    $('form-error').textContent = message;
    $('form-error').hidden = false;
}

function clearErrors() {
    $('form-error').hidden = true;
    $('form-error').textContent = '';
    for (const message of form.querySelectorAll('.error')) {
        const input = message.parentElement.querySelector('input, select, textarea');
        const rest = input.getAttribute('aria-describedby').split(' ').filter((id) => id !== message.id);
        if (rest.length > 0) {
            input.setAttribute('aria-describedby', rest.join(' '));
        } else {
            input.removeAttribute('aria-describedby');
        }
        input.removeAttribute('aria-invalid');
        message.parentElement.classList.remove('invalid');
        message.remove();
    }
}

// ---- small helpers ----

async function getJson(url) {
    const response = await fetch(url, {headers: authorized({'Accept': 'application/json'})});
    if (!response.ok) {
        const problem = await response.json().catch(() => null);
        throw new Error(url + ' answered ' + response.status + (problem && problem.detail ? ': ' + problem.detail : ''));
    }
    return response.json();
}

function apiKey() {
    return $('api_key').value.trim();
}

/** {@code headers} with the API key's Authorization header when one is set. */
function authorized(headers) {
    return apiKey() ? {...headers, 'Authorization': 'Bearer ' + apiKey()} : headers;
}

/** An image of a job: by its URL, or with a key through fetch (an img element cannot send the header). */
async function showImage(url, img, download) {
    if (!apiKey()) {
        img.src = url;
        download.href = url;
        return;
    }
    try {
        const response = await fetch(url, {headers: authorized({'Accept': 'image/*'})});
        if (!response.ok) {
            throw new Error(url + ' answered ' + response.status);
        }
        const local = URL.createObjectURL(await response.blob());
        img.src = local;
        download.href = local;
    } catch (error) {
        showFormError('Could not load an image: ' + error.message);
    }
}

/**
 * The part of EventSource that {@code follow} uses, over fetch so that it can send headers: named events with JSON
 * data, {@code close}, {@code onerror} and {@code readyState}. Like EventSource it connects again after a second when
 * the stream breaks (the server replays the job's state), until closed.
 */
class AuthorizedEventStream {
    constructor(url, headers) {
        this.url = url;
        this.headers = {...headers, 'Accept': 'text/event-stream'};
        this.listeners = {};
        this.onerror = null;
        this.readyState = EventSource.CONNECTING;
        this.controller = null;
        this.connect();
    }

    addEventListener(type, listener) {
        (this.listeners[type] = this.listeners[type] || []).push(listener);
    }

    close() {
        this.readyState = EventSource.CLOSED;
        if (this.controller) {
            this.controller.abort();
        }
    }

    async connect() {
        this.controller = new AbortController();
        try {
            const response = await fetch(this.url, {headers: this.headers, signal: this.controller.signal});
            if (!response.ok) {
                // a refusal (401, 404) will not change by asking again
                this.readyState = EventSource.CLOSED;
                throw new Error(this.url + ' answered ' + response.status);
            }
            this.readyState = EventSource.OPEN;
            await this.read(response.body.getReader());
        } catch (error) {
            if (this.readyState === EventSource.CLOSED && error.name === 'AbortError') {
                return;
            }
            if (this.onerror) {
                this.onerror(error);
            }
        }
        if (this.readyState !== EventSource.CLOSED) {
            this.readyState = EventSource.CONNECTING;
            setTimeout(() => this.readyState !== EventSource.CLOSED && this.connect(), 1000);
        }
    }

    /** Splits the stream into events (blank-line separated) and hands each to its listeners. */
    async read(reader) {
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
            const {value, done} = await reader.read();
            if (done) {
                return;
            }
            buffer += decoder.decode(value, {stream: true}).replace(/\r\n?/g, '\n');
            let end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
                this.dispatch(buffer.slice(0, end));
                buffer = buffer.slice(end + 2);
            }
        }
    }

    dispatch(block) {
        let type = 'message';
        const data = [];
        for (const line of block.split('\n')) {
            if (line.startsWith('event:')) {
                type = line.slice(6).trim();
            } else if (line.startsWith('data:')) {
                data.push(line.slice(5).replace(/^ /, ''));
            }
        }
        if (data.length > 0 && this.readyState !== EventSource.CLOSED) {
            for (const listener of this.listeners[type] || []) {
                listener({type, data: data.join('\n')});
            }
        }
    }
}

function fillSelect(select, names) {
    select.replaceChildren(...names.map((name) => new Option(name, name)));
}

function setBusy(busy) {
    $('generate').disabled = busy;
    $('generate').textContent = busy ? 'Generating…' : 'Generate';
    $('cancel').hidden = !busy;
}

function setStatus(text) {
    $('job-status').textContent = text;
}

function showProgress(step, total) {
    $('job-progress').max = Math.max(total, 1);
    $('job-progress').value = step;
}
