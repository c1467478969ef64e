package dev.diffusion.jobs;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Comparator;
import java.util.Objects;

/**
 * A place in an owner's jobs listed newest first: by creation time (to the millisecond), then by id, both descending,
 * which is how a Redis sorted set scored by creation time orders them backwards. As text, an opaque token for
 * {@code GET /jobs?cursor=}.
 */
public record JobCursor(long createdAtMillis, String id) {

    /** Newest first: later creation first, and among jobs of one millisecond the greater id first. */
    public static final Comparator<JobCursor> NEWEST_FIRST = Comparator.comparingLong(JobCursor::createdAtMillis)
            .thenComparing(JobCursor::id).reversed();

    public JobCursor {
        Objects.requireNonNull(id, "id");
    }

    public static JobCursor of(Job job) {
        return new JobCursor(job.createdAt().toEpochMilli(), job.id());
    }

    /** The token a client passes back to get the jobs after this one. */
    public String encode() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((createdAtMillis + ":" + id)
                .getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @throws IllegalArgumentException when the token is not one that {@link #encode} made
     */
    public static JobCursor decode(String token) {
        String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        int colon = text.indexOf(':');
        if (colon < 1 || colon == text.length() - 1) {
            throw new IllegalArgumentException("not a cursor");
        }
        return new JobCursor(Long.parseLong(text.substring(0, colon)), text.substring(colon + 1));
    }
}
