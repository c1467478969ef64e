package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.testing.ProgramsOnPath;
import dev.diffusion.testing.RequiresPrograms;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The web page at {@code /} in headless Chromium: fill the form, generate, follow the progress, see the image. Uses
 * the chromium and chromedriver on the PATH (Debian's; never a Selenium Manager download) and skips without them.
 */
@RequiresPrograms(value = {"chromium", "chromedriver"}, packages = "chromium chromium-driver")
@TinyModelService
class PlaygroundBrowserTest {

    private static final Path SCREENSHOT = Path.of("target", "playground.png");

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

    /** Runs {@code code} in the page; it ends by calling {@code done(result)}. */
    Object asyncScript(String code, Object... args) {
        browser.manage().timeouts().scriptTimeout(Duration.ofMinutes(1));
        return ((JavascriptExecutor) browser).executeAsyncScript(
                "const done = arguments[arguments.length - 1];\n" + code, args);
    }

    WebElement waitForImage() {
        return wait.until(driver -> {
            WebElement image = driver.findElements(By.cssSelector("#gallery img")).stream().findFirst().orElse(null);
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
