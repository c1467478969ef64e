package dev.diffusion.api;

import dev.diffusion.ServesApi;
import dev.diffusion.jobs.IdempotencyRecords;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobService;
import dev.diffusion.web.FieldError;
import dev.diffusion.web.IdempotencyConflictException;
import dev.diffusion.web.NotFoundException;
import dev.diffusion.web.RequestValidationException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Submissions under an {@code Idempotency-Key}: the first request with a key makes the job; a request with the same
 * key and the same body (in meaning: its fields as parsed) gets that job back, a request with another body a 422, one
 * that comes while the first is still being handled a 409. Keys are per API key and are kept with the jobs' backend
 * for {@code diffusion.jobs.idempotency-ttl}.
 */
@ServesApi
@Component
public class IdempotentSubmissions {

    public static final String HEADER = "Idempotency-Key";
    /** Set to {@code true} on an answer that gives back the job an earlier request made. */
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";
    /** Printable ASCII, as the IETF draft's examples and the usual UUIDs are. */
    private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** @param replayed whether {@code job} was made by an earlier request with the same key */
    public record Submission(Job job, boolean replayed) {
    }

    private final IdempotencyRecords records;
    private final JobService jobs;

    public IdempotentSubmissions(IdempotencyRecords records, JobService jobs) {
        this.records = records;
        this.jobs = jobs;
    }

    /**
     * Submits through {@code submit} unless {@code key} already stands for a job.
     *
     * @param key      the request's Idempotency-Key; null submits as usual
     * @param endpoint the path the request came to: a key is bound to one endpoint's request
     * @param request  the parsed body, whose JSON form is compared
     */
    public Submission submit(String key, String owner, String endpoint, Object request, Supplier<Job> submit) {
        if (key == null) {
            return new Submission(submit.get(), false);
        }
        if (!KEY.matcher(key).matches()) {
            throw new RequestValidationException(List.of(new FieldError(HEADER,
                    "must be 1 to 255 printable ASCII characters")));
        }
        String hash = hash(endpoint, request);
        Optional<IdempotencyRecords.Record> earlier = records.claim(owner, key, hash);
        if (earlier.isPresent()) {
            return replay(earlier.get(), hash, owner);
        }
        Job job;
        try {
            job = submit.get();
        } catch (RuntimeException e) { // refused: the key may be used again
            records.release(owner, key, hash);
            throw e;
        }
        records.complete(owner, key, hash, job.id());
        return new Submission(job, false);
    }

    private Submission replay(IdempotencyRecords.Record earlier, String hash, String owner) {
        if (!earlier.requestHash().equals(hash)) {
            throw IdempotencyConflictException.differentBody();
        }
        if (earlier.jobId() == null) {
            throw IdempotencyConflictException.inProgress();
        }
        Job job = jobs.find(earlier.jobId()).filter(found -> Objects.equals(found.owner(), owner))
                .orElseThrow(() -> new NotFoundException("job " + earlier.jobId() + ", made by the first request "
                        + "with this Idempotency-Key, is no longer kept; use a new key for a new job"));
        return new Submission(job, true);
    }

    private static String hash(String endpoint, Object request) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(endpoint.getBytes(StandardCharsets.UTF_8));
            sha256.update((byte) '\n');
            return HexFormat.of().formatHex(sha256.digest(JSON.writeValueAsBytes(request)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
