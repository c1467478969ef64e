'use strict';
// The playground: a form for POST /generate, the job's server-sent events as a progress bar with previews, and a
// gallery of finished jobs. Plain browser JavaScript, no build step; every URL is relative to the page.

const $ = (id) => document.getElementById(id);
const form = $('generate-form');
const NUMBER_FIELDS = ['steps', 'guidance_scale', 'seed', 'width', 'height', 'num_images'];
/** A marker in the JSON of "copy as curl", replaced by a shell substitution that base64-encodes the start image. */
const INIT_IMAGE_MARKER = '__init_image__';

let models = [];
let initImage = null;   // {dataUrl, name} of the chosen start image
let current = null;     // {id, events} of the job being followed

bindForm();
loadCatalog();

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
}

function applyModelDefaults(model) {
    if (!model) {
        return;
    }
    $('steps').value = model.default_steps;
    $('guidance_scale').value = model.default_guidance_scale;
    $('scheduler').value = model.default_scheduler;
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
    const body = {prompt: $('prompt').value, model: $('model').value, scheduler: $('scheduler').value};
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
            headers: {'Content-Type': 'application/json', 'Accept': 'application/json'},
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
    const events = new EventSource('jobs/' + encodeURIComponent(job.id) + '/events');
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
}

async function cancelCurrent() {
    if (!current) {
        return;
    }
    setStatus('Cancelling…');
    // the job's 'cancelled' event ends the stream; only a refusal needs handling here
    const response = await fetch('jobs/' + encodeURIComponent(current.id), {method: 'DELETE'});
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
        img.src = image.url;
        img.width = request.width;
        img.height = request.height;
        img.alt = request.prompt + ' (seed ' + image.seed + ')';
        // small images are shown enlarged: keep their pixels sharp rather than blurred
        img.classList.toggle('pixelated', request.width <= 128);
        const caption = document.createElement('figcaption');
        const download = document.createElement('a');
        download.href = image.url;
        download.download = 'diffusion-' + image.seed + '.png';
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
    const png = request.num_images === 1;
    return 'curl -s -X POST ' + shellSingleQuoted(url) + ' \\\n'
        + '     -H \'Content-Type: application/json\'' + (png ? ' -H \'Accept: image/png\'' : '') + ' \\\n'
        + '     -d ' + json + (png ? ' -o image.png' : '');
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
    const response = await fetch(url, {headers: {'Accept': 'application/json'}});
    if (!response.ok) {
        throw new Error(url + ' answered ' + response.status);
    }
    return response.json();
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
