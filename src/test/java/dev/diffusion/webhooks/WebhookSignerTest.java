package dev.diffusion.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class WebhookSignerTest {

    /**
     * The signing vector of the Standard Webhooks reference libraries: repository standard-webhooks/standard-webhooks,
     * libraries/java/src/test/java/com/standardwebhooks/WebhookTest.java, test verifyWebhookSignWorks (the other
     * languages' libraries test the same values).
     */
    @Test
    void signsTheStandardWebhooksReferenceVector() {
        WebhookSigner signer = new WebhookSigner("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");

        assertThat(signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}"))
                .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void theSignatureCoversTheIdTheTimestampAndTheBody() {
        WebhookSigner signer = new WebhookSigner("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        String signature = signer.sign("msg_1", 1700000000, "{\"a\":1}");

        assertThat(signer.sign("msg_2", 1700000000, "{\"a\":1}")).isNotEqualTo(signature);
        assertThat(signer.sign("msg_1", 1700000001, "{\"a\":1}")).isNotEqualTo(signature);
        assertThat(signer.sign("msg_1", 1700000000, "{\"a\":2}")).isNotEqualTo(signature);
        assertThat(new WebhookSigner("whsec_" + Base64.getEncoder().encodeToString(new byte[32]))
                .sign("msg_1", 1700000000, "{\"a\":1}")).isNotEqualTo(signature);
    }

    @Test
    void refusesSecretsThatAreNotWhsecBase64OfTwentyFourToSixtyFourBytes() {
        String base64Of24 = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        assertThatThrownBy(() -> new WebhookSigner(base64Of24)).hasMessageContaining("whsec_");
        assertThatThrownBy(() -> new WebhookSigner("whsec_not base64!")).hasMessageContaining("base64");
        assertThatThrownBy(() -> new WebhookSigner("whsec_" + Base64.getEncoder().encodeToString(new byte[23])))
                .hasMessageContaining("not 23");
        assertThatThrownBy(() -> new WebhookSigner("whsec_" + Base64.getEncoder().encodeToString(new byte[65])))
                .hasMessageContaining("not 65");
        assertThatThrownBy(() -> WebhookSigner.check(null)).isInstanceOf(IllegalArgumentException.class);
        WebhookSigner.check("whsec_" + Base64.getEncoder().encodeToString(new byte[64]));
    }
}
