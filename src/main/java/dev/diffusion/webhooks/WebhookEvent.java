package dev.diffusion.webhooks;

import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** The moments of a job a client may ask to be told about ({@code webhook_events}). */
public enum WebhookEvent {

    STARTED, PROGRESS, SUCCEEDED, FAILED, CANCELLED;

    /** What a client gets when it names no events: the job's ending, whichever it is. */
    public static final Set<WebhookEvent> DEFAULTS = Set.copyOf(EnumSet.of(SUCCEEDED, FAILED, CANCELLED));

    /** The name clients use, e.g. {@code succeeded}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The events a client named; none named (null or empty) means {@link #DEFAULTS}.
     *
     * @throws IllegalArgumentException naming the events there are, for the client
     */
    public static Set<WebhookEvent> parse(Collection<String> ids) {
        if (ids == null || ids.isEmpty()) {
            return DEFAULTS;
        }
        EnumSet<WebhookEvent> events = EnumSet.noneOf(WebhookEvent.class);
        for (String id : ids) {
            events.add(Arrays.stream(values()).filter(event -> event.id().equals(id)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("webhook_events may hold "
                            + Arrays.stream(values()).map(WebhookEvent::id).collect(Collectors.joining(", ")))));
        }
        return Set.copyOf(events);
    }
}
