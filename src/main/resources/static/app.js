'use strict';
// The playground: a form for POST /generate (with a start image: a mask brush over it and outpaint buttons), the
// job's server-sent events as a progress bar with previews, a gallery of finished jobs and the history that GET /jobs
// keeps. Plain browser JavaScript, no build step; every URL is relative to the page.

const $ = (id) => document.getElementById(id);
const form = $('generate-form');
const NUMBER_FIELDS = ['steps', 'guidance_scale', 'seed', 'width', 'height', 'num_images'];
/** Number fields that are sent only with a mask or an outpaint. */
const INPAINT_NUMBER_FIELDS = ['mask_blur', 'inpaint_padding'];
/** A marker in the JSON of "copy as curl", replaced by a shell substitution that base64-encodes the start image. */
const INIT_IMAGE_MARKER = '__init_image__';
/** Where the API key lives: this tab's session storage, never a cookie or the URL. */
const API_KEY_STORE = 'diffusion-api-key';
/** File name extensions of the output formats. */
const EXTENSIONS = {png: 'png', jpeg: 'jpg', webp: 'webp'};
/** Jobs per page of the history. */
const HISTORY_PAGE = 10;
/** The strength the service uses by default: plain img2img, and with a mask or outpaint (diffusers' inpainting). */
const DEFAULT_STRENGTH = 0.8;
const DEFAULT_INPAINT_STRENGTH = 1;
/** The colour the mask is drawn in on the page (shown half transparent); the request gets white on black. */
const MASK_COLOUR = '#ff2d55';
const SIDES = ['left', 'right', 'up', 'down'];

let models = [];
let initImage = null;   // {dataUrl, name, width, height} of the chosen start image
let outpaint = {left: 0, right: 0, up: 0, down: 0};  // pixels added to each side of the canvas
let strengthChosen = false;  // whether the user moved the strength slider (else it shows the service's default)
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
        strengthChosen = true;
        $('strength-value').value = $('strength').value;
    });
    bindMaskBrush();
    bindOutpaint();
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
    // the canvas is back to the model's size, and its size step may have changed
    outpaint = {left: 0, right: 0, up: 0, down: 0};
    showOutpaint();
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
    reader.onload = async () => {
        const thumb = $('init-thumb');
        thumb.src = reader.result;
        try {
            // the mask is drawn at the start image's own pixel size, as the service wants it
            await thumb.decode();
            setInitImage({dataUrl: reader.result, name: file.name, width: thumb.naturalWidth,
                height: thumb.naturalHeight});
        } catch (error) {
            setInitImage(null);
            showFieldErrors([{field: 'init_image', message: 'is not an image this browser can read'}]);
        }
    };
    reader.onerror = () => showFieldErrors([{field: 'init_image', message: 'could not be read'}]);
    reader.readAsDataURL(file);
}

function setInitImage(image) {
    initImage = image;
    $('init-preview').hidden = !image;
    $('inpaint-options').hidden = !image;
    $('init-clear').hidden = !image;
    $('strength').disabled = !image;
    if (image) {
        $('init-thumb').src = image.dataUrl;
        resetMask(image.width, image.height);
    } else {
        $('init_image').value = '';
        $('init-thumb').removeAttribute('src');
        resetOutpaint();
        strengthChosen = false;
    }
    showOutpaint();
    showDefaultStrength();
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
        const masked = maskCoverage() > 0;
        if (masked) {
            body.mask = maskDataUrl();
            body.mask_mode = 'luminance';
            body.inpaint_area = $('inpaint_area').value;
            if (body.inpaint_area === 'masked') {
                body.inpaint_padding = Number($('inpaint_padding').value);
            }
        }
        if (outpainting()) {
            body.outpaint = {...outpaint, fill: $('outpaint_fill').value};
        }
        if (masked || outpainting()) {
            body.mask_blur = Number($('mask_blur').value);
            body.masked_content = $('masked_content').value;
        }
    }
    return body;
}

async function submit() {
    clearErrors();
    const unreadable = NUMBER_FIELDS.concat(INPAINT_NUMBER_FIELDS).filter((name) => $(name).validity.badInput);
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
        follow(answer, submission(body));
    } catch (error) {
        showFormError('The service did not answer: ' + error.message);
        setBusy(false);
    }
}

/** What the gallery shows of a request beside the service's echo: the start image's name, the mask, the input. */
function submission(body) {
    if (!initImage) {
        return null;
    }
    return {initImageName: initImage.name, body, input: inputPicture(body)};
}

/** Follows a job through its server-sent events until it ends. */
function follow(job, sent) {
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
        addResult(done, sent);
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

function addResult(job, sent) {
    const card = $('result-template').content.firstElementChild.cloneNode(true);
    card.dataset.job = job.id;
    const request = withSentEditing(job.request, sent);
    const images = card.querySelector('.images');
    if (sent) {
        // the input beside the results, at the same size: the start image on its canvas, the mask over it
        const figure = document.createElement('figure');
        figure.className = 'input';
        const img = document.createElement('img');
        img.width = request.width;
        img.height = request.height;
        img.src = sent.input;
        img.alt = 'The input: ' + sent.initImageName + (request.mask ? ', the mask in red' : '')
            + (request.outpaint ? ', the new border hatched' : '');
        img.classList.toggle('pixelated', request.width <= 128);
        const caption = document.createElement('figcaption');
        caption.textContent = 'Input' + (request.mask ? ' · mask in red' : '')
            + (request.outpaint ? ' · new border hatched' : '');
        figure.append(img, caption);
        images.append(figure);
    }
    for (const image of job.images) {
        const figure = document.createElement('figure');
        figure.className = 'output';
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
        ['Start image', sent ? sent.initImageName + ', strength ' + request.strength : ''],
        ['Mask', request.mask ? describeMask(request) : ''],
        ['Outpaint', request.outpaint ? describeOutpaint(request) : ''],
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
    const curl = curlCommand(request, sent);
    card.querySelector('.curl code').textContent = curl;
    card.querySelector('.copy-curl').addEventListener('click', () => copy(card, curl));
    $('empty-gallery').hidden = true;
    $('gallery').prepend(card);
}

/**
 * The service's echo of the request, completed with the editing fields the page sent: the echo leaves the images out
 * (the mask among them), and the settings are shown as they were asked for where it does not carry them.
 */
function withSentEditing(request, sent) {
    const editing = {};
    for (const name of ['mask', 'mask_mode', 'mask_blur', 'masked_content', 'inpaint_area', 'inpaint_padding',
        'outpaint']) {
        if (sent && sent.body[name] !== undefined) {
            editing[name] = sent.body[name];
        }
    }
    const echoed = Object.fromEntries(Object.entries(request).filter(([, value]) => value !== null));
    return {...editing, ...echoed, mask: editing.mask};
}

function describeMask(request) {
    const parts = ['drawn'];
    if (request.mask_blur !== undefined) {
        parts.push('blur ' + request.mask_blur + ' px');
    }
    if (request.inpaint_area === 'masked') {
        parts.push('only masked, padding ' + request.inpaint_padding + ' px');
    }
    if (request.masked_content) {
        parts.push('content ' + request.masked_content.replace('_', ' '));
    }
    return parts.join(', ');
}

function describeOutpaint(request) {
    const added = SIDES.filter((side) => request.outpaint[side] > 0)
        .map((side) => side + ' ' + request.outpaint[side]);
    return added.join(', ') + ' px, fill ' + (request.outpaint.fill || 'edge');
}

/** A shell command that runs the same request again, with the seed that was used. */
function curlCommand(request, sent) {
    const body = {};
    for (const [name, value] of Object.entries(request)) {
        if (value !== null && value !== undefined && value !== '') {
            body[name] = value;
        }
    }
    if (sent) {
        body.init_image = INIT_IMAGE_MARKER;
    }
    // the drawn mask has no file to point at: it goes into the command as the data URL that was sent
    let json = shellSingleQuoted(JSON.stringify(body));
    if (sent) {
        // close the quote, let the shell base64-encode the file, reopen the quote
        json = json.replace(INIT_IMAGE_MARKER, '\'"$(base64 -w0 ' + shellSingleQuoted(sent.initImageName) + ')"\'');
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

// ---- mask brush and outpaint ----

let brushAt = {x: 0, y: 0};  // where the brush is on the mask, in the start image's pixels (keyboard painting)
let stroke = null;           // {pointerId, last} of the pointer painting now
let maskCovered = 0;         // the share of the start image the mask repaints, 0..1 (as the mask last changed)

function bindMaskBrush() {
    const canvas = $('mask-canvas');
    canvas.addEventListener('pointerdown', (event) => {
        if (!event.isPrimary || event.button !== 0 || !initImage) {
            return;
        }
        event.preventDefault();
        canvas.setPointerCapture(event.pointerId);
        const at = maskPoint(event);
        stroke = {pointerId: event.pointerId, last: at};
        paint(at, at);
        moveBrush(at);
    });
    canvas.addEventListener('pointermove', (event) => {
        moveBrush(maskPoint(event));
        if (!stroke || event.pointerId !== stroke.pointerId) {
            return;
        }
        // the browser may merge several moves into one event: paint through every one of them
        const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
        for (const move of moves.length > 0 ? moves : [event]) {
            const at = maskPoint(move);
            paint(stroke.last, at);
            stroke.last = at;
        }
    });
    const endStroke = (event) => {
        if (stroke && event.pointerId === stroke.pointerId) {
            stroke = null;
            maskChanged();
        }
    };
    canvas.addEventListener('pointerup', endStroke);
    canvas.addEventListener('pointercancel', endStroke);
    canvas.addEventListener('pointerleave', () => {
        if (!stroke && document.activeElement !== canvas) {
            $('brush-cursor').hidden = true;
        }
    });
    canvas.addEventListener('focus', () => moveBrush(brushAt));
    canvas.addEventListener('blur', () => {
        $('brush-cursor').hidden = true;
    });
    canvas.addEventListener('keydown', paintWithKeys);
    $('mask-clear').addEventListener('click', () => {
        maskContext().clearRect(0, 0, canvas.width, canvas.height);
        maskChanged();
    });
    $('mask-invert').addEventListener('click', invertMask);
    $('brush_size').addEventListener('input', () => {
        $('brush-size-value').value = $('brush_size').value;
        moveBrush(brushAt, !$('brush-cursor').hidden);
    });
    $('inpaint_area').addEventListener('change', () => {
        $('inpaint_padding').disabled = $('inpaint_area').value !== 'masked';
    });
}

/** Arrow keys move the brush (painting on the way with Shift); Space or Enter paints where it is. */
function paintWithKeys(event) {
    const moves = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]};
    const canvas = $('mask-canvas');
    if (moves[event.key]) {
        const step = Math.max(1, Math.round(brushSize() / 2));
        const [dx, dy] = moves[event.key];
        const next = {x: clamp(brushAt.x + dx * step, 0, canvas.width - 1),
            y: clamp(brushAt.y + dy * step, 0, canvas.height - 1)};
        if (event.shiftKey) {
            paint(brushAt, next);
            maskChanged();
        }
        moveBrush(next);
    } else if (event.key === ' ' || event.key === 'Enter') {
        paint(brushAt, brushAt);
        maskChanged();
    } else {
        return;
    }
    event.preventDefault();
}

/** A new, empty mask of the start image's size, and a brush that suits that size. */
function resetMask(width, height) {
    const canvas = $('mask-canvas');
    canvas.width = width;
    canvas.height = height;
    const longer = Math.max(width, height);
    $('brush_size').max = Math.max(8, Math.round(longer / 2));
    $('brush_size').value = Math.max(2, Math.round(longer / 12));
    $('brush-size-value').value = $('brush_size').value;
    brushAt = {x: Math.floor(width / 2), y: Math.floor(height / 2)};
    stroke = null;
    maskChanged();
}

function maskContext() {
    return $('mask-canvas').getContext('2d', {willReadFrequently: true});
}

function brushSize() {
    return Number($('brush_size').value);
}

function erasing() {
    return $('brush-erase').checked;
}

/** Where a pointer is, in the start image's pixels (the canvas is shown stretched to the image's place). */
function maskPoint(event) {
    const canvas = $('mask-canvas');
    const box = canvas.getBoundingClientRect();
    return {x: (event.clientX - box.left) * canvas.width / box.width,
        y: (event.clientY - box.top) * canvas.height / box.height};
}

/** Paints (or erases) a round-ended line from one point to another; a dot where they are the same. */
function paint(from, to) {
    const context = maskContext();
    context.save();
    context.globalCompositeOperation = erasing() ? 'destination-out' : 'source-over';
    context.fillStyle = MASK_COLOUR;
    context.strokeStyle = MASK_COLOUR;
    context.lineWidth = brushSize();
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.beginPath();
    if (from.x === to.x && from.y === to.y) {
        context.arc(to.x, to.y, brushSize() / 2, 0, 2 * Math.PI);
        context.fill();
    } else {
        context.moveTo(from.x, from.y);
        context.lineTo(to.x, to.y);
        context.stroke();
    }
    context.restore();
}

/** Shows the brush's outline at a point of the mask (and remembers it as the keyboard's brush position). */
function moveBrush(at, show = true) {
    const canvas = $('mask-canvas');
    brushAt = {x: clamp(at.x, 0, canvas.width - 1), y: clamp(at.y, 0, canvas.height - 1)};
    const cursor = $('brush-cursor');
    cursor.style.left = (brushAt.x / canvas.width * 100) + '%';
    cursor.style.top = (brushAt.y / canvas.height * 100) + '%';
    cursor.style.width = (brushSize() / canvas.width * 100) + '%';
    cursor.style.height = (brushSize() / canvas.height * 100) + '%';
    cursor.hidden = !show;
}

/** Repaints what was kept and keeps what was repainted, partial pixels included. */
function invertMask() {
    const canvas = $('mask-canvas');
    const context = maskContext();
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
    const [red, green, blue] = maskColour();
    const data = pixels.data;
    for (let i = 0; i < data.length; i += 4) {
        data[i] = red;
        data[i + 1] = green;
        data[i + 2] = blue;
        data[i + 3] = 255 - data[i + 3];
    }
    context.putImageData(pixels, 0, 0);
    maskChanged();
}

function maskColour() {
    return [1, 3, 5].map((at) => parseInt(MASK_COLOUR.slice(at, at + 2), 16));
}

/** After every change of the mask: what it covers, said on the page, and the strength that goes with it. */
function maskChanged() {
    const canvas = $('mask-canvas');
    const data = maskContext().getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 3; i < data.length; i += 4) {
        sum += data[i];
    }
    maskCovered = sum / 255 / (canvas.width * canvas.height);
    const percent = Math.round(maskCovered * 100);
    $('mask-status').textContent = maskCovered === 0
        ? 'No mask: the whole image is reworked at the chosen strength.'
        : 'Mask: ' + (percent === 0 ? 'under 1' : percent) + '% of the start image is repainted, the rest kept.';
    showDefaultStrength();
}

function maskCoverage() {
    return initImage ? maskCovered : 0;
}

/** The mask as the service reads it (mask_mode luminance): white repaints, black keeps, grey is in between. */
function maskDataUrl() {
    const canvas = $('mask-canvas');
    const drawn = maskContext().getImageData(0, 0, canvas.width, canvas.height).data;
    const out = document.createElement('canvas');
    out.width = canvas.width;
    out.height = canvas.height;
    const context = out.getContext('2d');
    const pixels = context.createImageData(out.width, out.height);
    for (let i = 0; i < drawn.length; i += 4) {
        const value = drawn[i + 3];
        pixels.data[i] = value;
        pixels.data[i + 1] = value;
        pixels.data[i + 2] = value;
        pixels.data[i + 3] = 255;
    }
    context.putImageData(pixels, 0, 0);
    return out.toDataURL('image/png');
}

/** Until the user moves the slider it shows the service's default: 1.0 with a mask or outpaint, 0.8 without. */
function showDefaultStrength() {
    if (strengthChosen) {
        return;
    }
    const strength = maskCoverage() > 0 || outpainting() ? DEFAULT_INPAINT_STRENGTH : DEFAULT_STRENGTH;
    $('strength').value = strength;
    $('strength-value').value = $('strength').value;
}

function bindOutpaint() {
    for (const button of form.querySelectorAll('[data-extend]')) {
        button.addEventListener('click', () => extend(button.dataset.extend));
    }
    $('outpaint-reset').addEventListener('click', () => {
        resetOutpaint();
        showOutpaint();
        showDefaultStrength();
    });
    $('width').addEventListener('input', showOutpaint);
    $('height').addEventListener('input', showOutpaint);
}

/** The model's size step: what one click of an outpaint button adds. */
function sizeStep() {
    const model = models.find((m) => m.name === $('model').value);
    return model ? model.size_multiple : 8;
}

/** The final canvas as the form asks for it (the model's size where a field is empty). */
function canvasSize() {
    const model = models.find((m) => m.name === $('model').value);
    const fallback = model ? model.sample_size : 0;
    return {width: Number($('width').value) || fallback, height: Number($('height').value) || fallback};
}

/** Grows the canvas on one side by a size step; the start image keeps its size inside. */
function extend(side) {
    const step = sizeStep();
    const field = side === 'left' || side === 'right' ? 'width' : 'height';
    $(field).value = canvasSize()[field] + step;
    outpaint[side] += step;
    showOutpaint();
    showDefaultStrength();
}

/** Takes the added border off the canvas again. */
function resetOutpaint() {
    const size = canvasSize();
    if (outpaint.left + outpaint.right > 0) {
        $('width').value = Math.max(sizeStep(), size.width - outpaint.left - outpaint.right);
    }
    if (outpaint.up + outpaint.down > 0) {
        $('height').value = Math.max(sizeStep(), size.height - outpaint.up - outpaint.down);
    }
    outpaint = {left: 0, right: 0, up: 0, down: 0};
}

function outpainting() {
    return initImage !== null && SIDES.some((side) => outpaint[side] > 0);
}

/** Lays the start image out on the final canvas as the service will (stretched to the inner area) and says so. */
function showOutpaint() {
    const {width, height} = canvasSize();
    if (width > 0 && height > 0) {
        const inner = innerArea(width, height);
        $('mask-stage').style.setProperty('--ratio', width / height);
        const box = $('mask-inner').style;
        box.left = (outpaint.left / width * 100) + '%';
        box.top = (outpaint.up / height * 100) + '%';
        box.width = (Math.max(inner.width, 0) / width * 100) + '%';
        box.height = (Math.max(inner.height, 0) / height * 100) + '%';
    }
    const step = sizeStep();
    for (const button of form.querySelectorAll('[data-extend]')) {
        const label = 'Extend ' + button.dataset.extend + ' by ' + step + ' px';
        button.setAttribute('aria-label', label);
        button.title = label;
    }
    $('outpaint-reset').disabled = !outpainting();
    const added = SIDES.filter((side) => outpaint[side] > 0).map((side) => outpaint[side] + ' px ' + side);
    const inner = innerArea(width, height);
    $('outpaint-status').textContent = added.length === 0
        ? 'Each click adds ' + step + ' px of new canvas; the border is painted to match.'
        : 'Canvas ' + width + ' × ' + height + ': the start image fills ' + inner.width + ' × ' + inner.height
            + ', ' + added.join(', ') + ' added.';
}

function innerArea(width, height) {
    return {width: width - outpaint.left - outpaint.right, height: height - outpaint.up - outpaint.down};
}

/** The input as the gallery shows it beside the result: the canvas, the start image in it, the mask over it. */
function inputPicture(body) {
    const {width, height} = body.width && body.height ? body : canvasSize();
    const picture = document.createElement('canvas');
    picture.width = width;
    picture.height = height;
    const context = picture.getContext('2d');
    const added = body.outpaint || {left: 0, right: 0, up: 0, down: 0};
    if (body.outpaint) {
        // the new border, hatched
        context.fillStyle = '#d0d7de';
        context.fillRect(0, 0, width, height);
        context.strokeStyle = '#8c959f';
        context.lineWidth = Math.max(1, Math.round(Math.max(width, height) / 64));
        const gap = context.lineWidth * 4;
        context.beginPath();
        for (let x = -height; x < width; x += gap) {
            context.moveTo(x, height);
            context.lineTo(x + height, 0);
        }
        context.stroke();
    }
    const inner = {x: added.left, y: added.up, width: width - added.left - added.right,
        height: height - added.up - added.down};
    if (inner.width > 0 && inner.height > 0) {
        context.drawImage($('init-thumb'), inner.x, inner.y, inner.width, inner.height);
        if (body.mask) {
            context.globalAlpha = 0.5;
            context.drawImage($('mask-canvas'), inner.x, inner.y, inner.width, inner.height);
        }
    }
    return picture.toDataURL('image/png');
}

function clamp(value, low, high) {
    return Math.min(Math.max(value, low), high);
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
