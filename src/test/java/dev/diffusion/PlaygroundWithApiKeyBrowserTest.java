package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.springframework.test.context.TestPropertySource;

/**
 * Every test of the web page again, on a service that requires API keys: the page sends the key that the user typed
 * on every call, reads the job's events through fetch (EventSource cannot send the header) and fetches the images.
 */
@TestPropertySource(properties = "diffusion.security.api-keys=playground:" + PlaygroundWithApiKeyBrowserTest.KEY)
class PlaygroundWithApiKeyBrowserTest extends PlaygroundBrowserTest {

    static final String KEY = "pg-3b1f9e27c54a8d06e1";

    @Override
    void enterApiKey() {
        script("sessionStorage.clear()");
        browser.navigate().refresh();
        // without the key the page cannot load its catalog, and says why
        wait.until(ExpectedConditions.textMatches(By.id("form-error"), Pattern.compile("answered 401")));
        browser.findElement(By.cssSelector("#api-key-box summary")).click();
        type("api_key", KEY);
        // the key takes effect when the field changes, as a user leaving the field
        browser.findElement(By.id("prompt")).click();
    }

    @Override
    String imageSourcePrefix() {
        return "blob:";
    }

    @Test
    void theCopiedCommandAsksTheShellForTheKeyInsteadOfShowingIt() {
        type("prompt", "a green square");
        type("steps", "2");
        browser.findElement(By.id("generate")).click();
        waitForImage();

        String curl = (String) script("return document.querySelector('#gallery .curl code').textContent");
        assertThat(curl).contains("-H \"Authorization: Bearer $DIFFUSION_API_KEY\"").doesNotContain(KEY);
    }
}
