package dev.diffusion.jobs;

import java.util.Optional;

/**
 * What each {@code Idempotency-Key} of an owner was used for: the hash of the request that first came with it and the
 * job that request made, kept with the jobs' backend (so every API replica sees it) for a while. A claim is short-lived
 * until it is completed, so that a request that died halfway does not hold its key for the whole time.
 */
public interface IdempotencyRecords {

    /**
     * Takes the key for a request with {@code requestHash}, unless it is taken: then returns what it holds.
     *
     * @param owner the owner id, or null when API keys are off
     * @return empty if this call took the key (complete or release it next); else the record already there
     */
    Optional<Record> claim(String owner, String key, String requestHash);

    /** The request that claimed the key made {@code jobId}: the key now holds it for the full time. */
    void complete(String owner, String key, String requestHash, String jobId);

    /** The request that claimed the key made no job (it was refused): the key is free again. */
    void release(String owner, String key, String requestHash);

    /**
     * @param requestHash the hash of the request that took the key
     * @param jobId       the job it made; null while that request is still being handled
     */
    record Record(String requestHash, String jobId) {
    }
}
