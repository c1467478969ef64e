package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.testing.ProgramsOnPath;
import dev.diffusion.testing.RequiresPrograms;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.Rectangle;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.interactions.PointerInput;
import org.openqa.selenium.interactions.Sequence;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The web page at {@code /} in headless Chromium: fill the form, generate, follow the progress, see the image; paint a
 * mask over a start image and outpaint it. Uses the chromium and chromedriver on the PATH (Debian's; never a Selenium
 * Manager download) and skips without them.
 */
@RequiresPrograms(value = {"chromium", "chromedriver"}, packages = "chromium chromium-driver")
@TinyModelService
class PlaygroundBrowserTest {

    private static final Path SCREENSHOT = Path.of("target", "playground.png");
    private static final Path EDIT_SCREENSHOT = Path.of("target", "playground-inpaint.png");
    private static final Path EDITED_SCREENSHOT = Path.of("target", "playground-inpainted.png");

    @LocalServerPort
    int port;

    static ChromeDriver browser;
    static WebDriverWait wait;

    @BeforeAll
    static void openBrowser(@TempDir Path profile) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(ProgramsOnPath.require("chromium", "chromium").toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=1280,1000");
        // naming the driver executable keeps Selenium Manager from looking for (or downloading) one
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(ProgramsOnPath.require("chromedriver", "chromium-driver").toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofMinutes(1), Duration.ofMillis(50));
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @BeforeEach
    void openThePage() {
        browser.get("http://localhost:" + port + "/");
        enterApiKey();
        // the form is ready once the models and schedulers have been loaded into it
        wait.until(ExpectedConditions.attributeToBeNotEmpty(browser.findElement(By.id("steps")), "value"));
    }

    /** What a user of a service with API keys does first; this service has none. */
    void enterApiKey() {
    }

    /** How the page shows a finished job's image: by its URL here, as a fetched blob where a key is needed. */
    String imageSourcePrefix() {
        return "/jobs/";
    }

    @Test
    void generatesFromTheFormAndShowsTheImageWithItsParameters() throws Exception {
        assertThat(new Select(browser.findElement(By.id("model"))).getFirstSelectedOption().getText()).isEqualTo("tiny");
        assertThat(new Select(browser.findElement(By.id("scheduler"))).getFirstSelectedOption().getText())
                .isEqualTo("ddim");
        assertThat(browser.findElement(By.id("recommended")).getText())
                .isEqualTo("Recommended for tiny: ddim, 4 steps, guidance 5");
        type("prompt", "a large red circle on a blue background");
        new Select(browser.findElement(By.id("scheduler"))).selectByVisibleText("euler");
        type("steps", "12");
        browser.findElement(By.id("dice")).click();
        String seed = browser.findElement(By.id("seed")).getDomProperty("value");
        assertThat(seed).matches("\\d+");

        browser.findElement(By.id("generate")).click();
        WebElement image = waitForImage();

        assertThat(script("return arguments[0].naturalWidth", image)).isEqualTo(64L);
        String params = browser.findElement(By.cssSelector("#gallery .params")).getText();
        assertThat(params).contains("a large red circle on a blue background", "euler", "64 × 64", seed);
        // the progress bar ran to the end and showed previews (preview-every=2) while the job ran
        WebElement progress = browser.findElement(By.id("job-progress"));
        assertThat(progress.getDomProperty("value")).isEqualTo("12");
        assertThat(browser.findElement(By.id("job-preview")).getDomAttribute("src")).startsWith("data:image/png;base64,");
        assertThat(image.getDomAttribute("src")).startsWith(imageSourcePrefix());
        assertThat(browser.findElement(By.cssSelector("#gallery a[download]")).getDomAttribute("href"))
                .isEqualTo(image.getDomAttribute("src"));

        browser.findElement(By.cssSelector("#gallery .copy-curl")).click();
        wait.until(ExpectedConditions.textMatches(By.cssSelector("#gallery .copied"), Pattern.compile(".+")));
        String curl = (String) script("return document.querySelector('#gallery .curl code').textContent");
        assertThat(curl).contains("/generate?wait=true", "\"seed\":" + seed, "\"scheduler\":\"euler\"",
                "\"steps\":12", "Accept: image/png");

        script("window.scrollTo(0, 0)");
        Files.createDirectories(SCREENSHOT.getParent());
        Files.write(SCREENSHOT, browser.getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void showsTheServicesFieldErrorsNextToTheFields() {
        type("prompt", "a blue square");
        type("steps", "1000");
        type("width", "50");

        browser.findElement(By.id("generate")).click();

        WebElement stepsError = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector(".field[data-field='steps'] .error")));
        assertThat(stepsError.getText()).isEqualTo("must be between 1 and 150");
        assertThat(browser.findElement(By.cssSelector(".field[data-field='width'] .error")).getText())
                .isEqualTo("must be a positive multiple of 32");
        assertThat(browser.findElement(By.id("steps")).getDomAttribute("aria-invalid")).isEqualTo("true");
        assertThat(browser.findElement(By.id("steps")).getDomAttribute("aria-describedby")).isEqualTo("error-steps");
        assertThat(browser.findElements(By.cssSelector("#gallery img"))).isEmpty();

        type("steps", "2");
        type("width", "64");
        browser.findElement(By.id("generate")).click();
        waitForImage();
        assertThat(browser.findElements(By.cssSelector(".field .error"))).isEmpty();
    }

    @Test
    void startsFromAnUploadedImage(@TempDir Path files) throws Exception {
        Path start = files.resolve("start.png");
        BufferedImage picture = new BufferedImage(48, 48, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = picture.createGraphics();
        g.setColor(Color.BLUE);
        g.fillRect(0, 0, 48, 48);
        g.setColor(Color.YELLOW);
        g.fillOval(8, 8, 32, 32);
        g.dispose();
        ImageIO.write(picture, "png", start.toFile());
        type("prompt", "a yellow circle");
        assertThat(browser.findElement(By.id("strength")).isEnabled()).isFalse();

        browser.findElement(By.id("init_image")).sendKeys(start.toAbsolutePath().toString());
        wait.until(ExpectedConditions.elementToBeClickable(By.id("strength")));
        browser.findElement(By.id("generate")).click();

        waitForImage();
        assertThat(browser.findElement(By.cssSelector("#gallery .params")).getText())
                .contains("start.png, strength 0.8");
        assertThat((String) script("return document.querySelector('#gallery .curl code').textContent"))
                .contains("\"init_image\":\"'\"$(base64 -w0 'start.png')\"'\"", "\"strength\":0.8");
    }

    @Test
    void aRunningJobCanBeCancelled() {
        type("prompt", "a long one");
        type("steps", "150");
        type("num_images", "8");

        browser.findElement(By.id("generate")).click();
        wait.until(ExpectedConditions.textMatches(By.id("job-status"), Pattern.compile("^Step ")));
        browser.findElement(By.id("cancel")).click();

        wait.until(ExpectedConditions.textToBe(By.id("job-status"), "Cancelled"));
        assertThat(browser.findElement(By.id("cancel")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("generate")).isEnabled()).isTrue();
        assertThat(browser.findElements(By.cssSelector("#gallery img"))).isEmpty();
    }

    @Test
    void makesTheImageInTheChosenFormat() {
        type("prompt", "a red square");
        type("steps", "2");
        new Select(browser.findElement(By.id("output_format"))).selectByValue("webp");

        browser.findElement(By.id("generate")).click();
        WebElement image = waitForImage();

        assertThat(asyncScript("fetch(arguments[0]).then((r) => done(r.headers.get('Content-Type')))",
                image.getDomAttribute("src"))).isEqualTo("image/webp");
        assertThat(browser.findElement(By.cssSelector("#gallery .params")).getText()).contains("webp");
        assertThat(browser.findElement(By.cssSelector("#gallery a[download]")).getDomAttribute("download"))
                .endsWith(".webp");
        assertThat((String) script("return document.querySelector('#gallery .curl code').textContent"))
                .contains("\"output_format\":\"webp\"", "Accept: image/webp", "-o image.webp");
        // the job heads the history once it has ended
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#history tbody tr"),
                "a red square"));
        WebElement newest = browser.findElement(By.cssSelector("#history tbody tr"));
        assertThat(newest.findElements(By.tagName("td"))).extracting(WebElement::getText)
                .contains("succeeded", "a red square", "webp");
        assertThat(newest.findElements(By.tagName("a"))).hasSize(1);
    }

    @Test
    void showsTheJobHistoryNewestFirstPageByPage() {
        String marker = "history " + System.nanoTime();
        // twelve jobs, more than a page of the history, each cancelled at once (as this page's user would)
        assertThat(asyncScript("""
                (async () => {
                    for (let i = 0; i < 12; i++) {
                        const job = await (await fetch('generate', {method: 'POST',
                            headers: authorized({'Content-Type': 'application/json'}),
                            body: JSON.stringify({prompt: arguments[0] + ' #' + i, steps: 150})})).json();
                        await fetch('jobs/' + job.id, {method: 'DELETE', headers: authorized({})});
                        let status = '';
                        while (!['cancelled', 'succeeded', 'failed'].includes(status)) {
                            await new Promise((resolve) => setTimeout(resolve, 20));
                            status = (await (await fetch('jobs/' + job.id, {headers: authorized({})})).json()).status;
                        }
                    }
                    done('made');
                })().catch((error) => done(String(error)));""", marker)).isEqualTo("made");

        browser.findElement(By.id("history-refresh")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#history tbody tr"),
                marker + " #11"));
        assertThat(browser.findElements(By.cssSelector("#history tbody tr"))).as("one page").hasSize(10);
        browser.findElement(By.id("history-more")).click();
        wait.until(ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector("#history tbody tr"), 10));

        List<String> ours = browser.findElements(By.cssSelector("#history tbody tr")).stream()
                .map(row -> row.findElements(By.tagName("td")))
                .filter(cells -> cells.get(2).getText().startsWith(marker))
                .map(cells -> cells.get(2).getText() + " " + cells.get(1).getText()).toList();
        assertThat(ours).containsExactlyElementsOf(IntStream.range(0, 12).map(i -> 11 - i)
                .mapToObj(i -> marker + " #" + i + " cancelled").toList());
    }

    /** Writes a start image of that size as scene.png and chooses it in the page's file input, as a user does. */
    private BufferedImage chooseStartImage(Path files, int width, int height) throws IOException {
        BufferedImage start = startImage(width, height);
        Path file = files.resolve("scene.png");
        ImageIO.write(start, "png", file.toFile());
        browser.findElement(By.id("init_image")).sendKeys(file.toAbsolutePath().toString());
        return start;
    }

    @Test
    void inpaintsWhereTheMaskBrushPainted(@TempDir Path files) throws Exception {
        type("prompt", "a green bar");
        type("seed", "21");
        BufferedImage start = chooseStartImage(files, 64, 64);
        WebElement canvas = maskCanvas(64, 64);
        assertThat(browser.findElement(By.id("strength-value")).getText()).isEqualTo("0.8");
        // a wider brush, from the keyboard: 5 px (a twelfth of the image) to 16
        WebElement brush = browser.findElement(By.id("brush_size"));
        assertThat(brush.getDomProperty("value")).isEqualTo("5");
        for (int i = 0; i < 11; i++) {
            brush.sendKeys(Keys.ARROW_RIGHT);
        }
        assertThat(browser.findElement(By.id("brush-size-value")).getText()).isEqualTo("16");

        // one stroke with the mouse across the middle of the image: rows 24..40, columns 10..54
        Rectangle box = canvas.getRect();
        new Actions(browser).moveToElement(canvas, -box.width * 17 / 64, 0).clickAndHold()
                .moveByOffset(box.width * 17 / 64, 0).moveByOffset(box.width * 17 / 64, 0).release().perform();

        assertThat(coveredPercent()).isBetween(15, 25);
        // diffusers' inpainting default, shown as soon as there is a mask
        assertThat(browser.findElement(By.id("strength-value")).getText()).isEqualTo("1");
        Files.createDirectories(EDIT_SCREENSHOT.getParent());
        Files.write(EDIT_SCREENSHOT, browser.getScreenshotAs(OutputType.BYTES));
        browser.findElement(By.id("generate")).click();
        WebElement image = waitForImage();

        BufferedImage result = fetchImage(image);
        assertThat(result.getWidth()).isEqualTo(64);
        // beyond the stroke and its blur the input is kept; where the brush went the image is new
        assertThat(maxDifference(result, start, 0, 0, 64, 8)).isLessThanOrEqualTo(2);
        assertThat(maxDifference(result, start, 0, 57, 64, 64)).isLessThanOrEqualTo(2);
        assertThat(meanDifference(result, start, 20, 28, 44, 36)).isGreaterThan(10);
        // the service was asked to inpaint, with the page's settings
        Map<?, ?> request = (Map<?, ?>) job(resultJobId()).get("request");
        assertThat(request.get("mask_blur")).isEqualTo(4L);
        assertThat(request.get("inpaint_area")).isEqualTo("whole");
        assertThat(request.get("strength")).isEqualTo(1L);
        // the input, mask shown, beside the result
        WebElement input = browser.findElement(By.cssSelector("#gallery figure.input img"));
        assertThat(script("return arguments[0].naturalWidth", input)).isEqualTo(64L);
        assertThat(input.getDomAttribute("alt")).contains("scene.png", "mask");
        assertThat(browser.findElement(By.cssSelector("#gallery .params")).getText())
                .contains("scene.png, strength 1", "drawn, blur 4 px");
        assertThat((String) script("return document.querySelector('#gallery .curl code').textContent"))
                .contains("\"mask\":\"data:image/png;base64,", "\"mask_blur\":4");
        script("window.scrollTo(0, 0)");
        Files.write(EDITED_SCREENSHOT, browser.getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void outpaintsToTheRightFromItsButton(@TempDir Path files) throws Exception {
        type("prompt", "more of the same");
        BufferedImage start = chooseStartImage(files, 64, 64);
        maskCanvas(64, 64);

        // from the keyboard, as any button of the page
        WebElement right = browser.findElement(By.cssSelector("[data-extend='right']"));
        assertThat(right.getAccessibleName()).isEqualTo("Extend right by 32 px");
        right.sendKeys(Keys.ENTER);

        assertThat(browser.findElement(By.id("width")).getDomProperty("value")).isEqualTo("96");
        assertThat(browser.findElement(By.id("height")).getDomProperty("value")).isEqualTo("64");
        assertThat(browser.findElement(By.id("outpaint-status")).getText())
                .isEqualTo("Canvas 96 × 64: the start image fills 64 × 64, 32 px right added.");
        assertThat(browser.findElement(By.id("strength-value")).getText()).isEqualTo("1");
        awaitCostsMeasured();
        browser.findElement(By.id("generate")).click();
        WebElement image = waitForImage();

        BufferedImage result = fetchImage(image);
        assertThat(result.getWidth()).isEqualTo(96);
        assertThat(result.getHeight()).isEqualTo(64);
        // the start image stays where it was (away from the blurred seam); the new border is painted, not left as the
        // edge colour it started from
        assertThat(maxDifference(result, start, 0, 0, 48, 64)).isLessThanOrEqualTo(2);
        BufferedImage edge = new BufferedImage(96, 64, BufferedImage.TYPE_INT_RGB);
        edge.createGraphics().drawImage(start, 64, 0, 96, 64, 63, 0, 64, 64, null);
        assertThat(meanDifference(result, edge, 76, 0, 96, 64)).isGreaterThan(10);
        Map<?, ?> request = (Map<?, ?>) job(resultJobId()).get("request");
        assertThat(request.get("width")).isEqualTo(96L);
        assertThat((Map<?, ?>) request.get("outpaint")).isEqualTo(
                Map.of("left", 0L, "right", 32L, "up", 0L, "down", 0L, "fill", "edge"));
        WebElement input = browser.findElement(By.cssSelector("#gallery figure.input img"));
        assertThat(script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", input))
                .isEqualTo(List.of(96L, 64L));
        assertThat(browser.findElement(By.cssSelector("#gallery .params")).getText())
                .contains("right 32 px, fill edge");

        browser.findElement(By.id("outpaint-reset")).click();
        assertThat(browser.findElement(By.id("width")).getDomProperty("value")).isEqualTo("64");
        assertThat(browser.findElement(By.id("strength-value")).getText()).isEqualTo("0.8");
    }

    @Test
    void theMaskBrushTakesTouchKeysAndItsButtons(@TempDir Path files) throws Exception {
        chooseStartImage(files, 48, 32);
        WebElement canvas = maskCanvas(48, 32);
        assertThat(coveredPercent()).isZero();

        // a finger down the left half: the page paints rather than scrolls
        Rectangle box = canvas.getRect();
        touchStroke(canvas, -box.width / 4, -box.height / 2 + 2, -box.width / 4, box.height / 2 - 2);
        int touched = coveredPercent();
        assertThat(touched).isBetween(5, 30);

        browser.findElement(By.id("mask-invert")).click();
        assertThat(coveredPercent()).isBetween(100 - touched - 1, 100 - touched + 1);
        browser.findElement(By.id("mask-clear")).click();
        assertThat(coveredPercent()).isZero();
        assertThat(browser.findElement(By.id("mask-status")).getText()).startsWith("No mask");

        // the keyboard: Space paints at the brush, Shift+arrows paint as the brush moves
        canvas.sendKeys(Keys.SPACE);
        int dot = coveredPercent();
        assertThat(dot).isPositive();
        for (int i = 0; i < 6; i++) {
            canvas.sendKeys(Keys.chord(Keys.SHIFT, Keys.ARROW_RIGHT));
        }
        int line = coveredPercent();
        assertThat(line).isGreaterThan(dot);
        Rectangle cursor = browser.findElement(By.id("brush-cursor")).getRect();
        int lineY = cursor.y + cursor.height / 2 - (box.y + box.height / 2);

        // the eraser, chosen from the keyboard, takes the line away again where a finger goes along it
        browser.findElement(By.id("brush-draw")).sendKeys(Keys.ARROW_RIGHT);
        assertThat(browser.findElement(By.id("brush-erase")).isSelected()).isTrue();
        touchStroke(canvas, -box.width / 2 + 1, lineY, box.width / 2 - 1, lineY);
        assertThat(coveredPercent()).isLessThan(line);

        browser.findElement(By.id("init-clear")).click();
        assertThat(browser.findElement(By.id("init-preview")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("strength")).isEnabled()).isFalse();
    }

    /** A blue picture with a yellow disc and a red band at the top: colours the tiny model would not keep. */
    static BufferedImage startImage(int width, int height) {
        BufferedImage picture = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = picture.createGraphics();
        g.setColor(new Color(30, 60, 200));
        g.fillRect(0, 0, width, height);
        g.setColor(new Color(200, 40, 40));
        g.fillRect(0, 0, width, height / 8);
        g.setColor(Color.YELLOW);
        g.fillOval(width / 4, height / 4, width / 2, height / 2);
        g.dispose();
        return picture;
    }

    /** The mask canvas once the chosen start image has been read: a mask of the image's own size. */
    WebElement maskCanvas(int width, int height) {
        WebElement canvas = browser.findElement(By.id("mask-canvas"));
        wait.until(driver -> Long.valueOf(width).equals(script("return arguments[0].width", canvas)));
        assertThat(script("return arguments[0].height", canvas)).isEqualTo((long) height);
        script("arguments[0].scrollIntoView({block: 'center'})", canvas);
        return canvas;
    }

    /** The share of the start image the page says its mask covers, in percent. */
    int coveredPercent() {
        String status = browser.findElement(By.id("mask-status")).getText();
        if (status.startsWith("No mask")) {
            return 0;
        }
        var matcher = Pattern.compile("^Mask: (\\d+|under 1)% ").matcher(status);
        assertThat(matcher.find()).as(status).isTrue();
        return matcher.group(1).equals("under 1") ? 1 : Integer.parseInt(matcher.group(1));
    }

    /** A one-finger stroke between two points given from the element's centre. */
    void touchStroke(WebElement element, int fromX, int fromY, int toX, int toY) {
        PointerInput finger = new PointerInput(PointerInput.Kind.TOUCH, "finger");
        Sequence stroke = new Sequence(finger, 0)
                .addAction(finger.createPointerMove(Duration.ZERO, PointerInput.Origin.fromElement(element), fromX,
                        fromY))
                .addAction(finger.createPointerDown(PointerInput.MouseButton.LEFT.asArg()))
                .addAction(finger.createPointerMove(Duration.ofMillis(200), PointerInput.Origin.fromElement(element),
                        toX, toY))
                .addAction(finger.createPointerUp(PointerInput.MouseButton.LEFT.asArg()));
        browser.perform(List.of(stroke));
    }

    /**
     * Waits until a worker has measured the model's costs ({@code GET /models} shows its allowed sizes): until then the
     * service answers 503 to sizes above the model's own. Minutes on a busy machine, as HttpTestClient allows.
     */
    void awaitCostsMeasured() {
        new WebDriverWait(browser, Duration.ofMinutes(5), Duration.ofMillis(200)).until(driver -> Boolean.TRUE.equals(
                asyncScript("""
                        fetch('models', {headers: authorized({'Accept': 'application/json'})}).then((r) => r.json())
                            .then((models) => done(models.every((m) => m.allowed_sizes != null)))
                            .catch((error) => done(String(error)));""")));
    }

    String resultJobId() {
        return browser.findElement(By.cssSelector("#gallery .result")).getDomAttribute("data-job");
    }

    /** GET /jobs/{id}, as the page would ask (with its key where one is set). */
    Map<?, ?> job(String id) {
        Object job = asyncScript("""
                fetch('jobs/' + arguments[0], {headers: authorized({'Accept': 'application/json'})})
                    .then((r) => r.json()).then(done).catch((error) => done(String(error)));""", id);
        assertThat(job).isInstanceOf(Map.class);
        return (Map<?, ?>) job;
    }

    /** The bytes behind a result image as the page got them (by URL or as a fetched blob), decoded. */
    BufferedImage fetchImage(WebElement image) throws IOException {
        String base64 = (String) asyncScript("""
                fetch(arguments[0], {headers: authorized({})}).then((r) => r.blob())
                    .then((blob) => new Promise((resolve) => {
                        const reader = new FileReader();
                        reader.onload = () => resolve(reader.result);
                        reader.readAsDataURL(blob);
                    }))
                    .then((url) => done(url.slice(url.indexOf(',') + 1)))
                    .catch((error) => done(String(error)));""", image.getDomAttribute("src"));
        return ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(base64)));
    }

    /** The largest difference of any channel between two images over [x0, x1) × [y0, y1). */
    static int maxDifference(BufferedImage a, BufferedImage b, int x0, int y0, int x1, int y1) {
        int max = 0;
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                for (int shift = 0; shift <= 16; shift += 8) {
                    max = Math.max(max, Math.abs((a.getRGB(x, y) >> shift & 0xff) - (b.getRGB(x, y) >> shift & 0xff)));
                }
            }
        }
        return max;
    }

    /** The mean difference per channel between two images over [x0, x1) × [y0, y1). */
    static double meanDifference(BufferedImage a, BufferedImage b, int x0, int y0, int x1, int y1) {
        long sum = 0;
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                for (int shift = 0; shift <= 16; shift += 8) {
                    sum += Math.abs((a.getRGB(x, y) >> shift & 0xff) - (b.getRGB(x, y) >> shift & 0xff));
                }
            }
        }
        return sum / (3.0 * (x1 - x0) * (y1 - y0));
    }

    /** Runs {@code code} in the page; it ends by calling {@code done(result)}. */
    Object asyncScript(String code, Object... args) {
        browser.manage().timeouts().scriptTimeout(Duration.ofMinutes(1));
        return ((JavascriptExecutor) browser).executeAsyncScript(
                "const done = arguments[arguments.length - 1];\n" + code, args);
    }

    /** Waits for the newest result's first image; minutes allowed, as a busy machine or a cost probe may need them. */
    WebElement waitForImage() {
        WebDriverWait patient = new WebDriverWait(browser, Duration.ofMinutes(3), Duration.ofMillis(50));
        patient.withMessage(() -> "no image; the job's status: " + browser.findElement(By.id("job-status")).getText());
        return patient.until(driver -> {
            // a refusal or a failed job will not turn into an image: say why at once
            WebElement error = driver.findElement(By.id("form-error"));
            assertThat(error.isDisplayed()).as(error.getText()).isFalse();
            WebElement image = driver.findElements(By.cssSelector("#gallery figure.output img")).stream().findFirst()
                    .orElse(null);
            boolean loaded = image != null
                    && Boolean.TRUE.equals(script("return arguments[0].complete && arguments[0].naturalWidth > 0", image));
            return loaded ? image : null;
        });
    }

    void type(String id, String text) {
        WebElement field = browser.findElement(By.id(id));
        field.clear();
        field.sendKeys(text);
    }

    Object script(String code, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(code, args);
    }
}
