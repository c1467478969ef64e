package dev.diffusion.webhooks;

/** A webhook URL that is malformed, or points where webhooks may not go; the message is for the client. */
public class WebhookTargetException extends IllegalArgumentException {

    public WebhookTargetException(String message) {
        super(message);
    }
}
