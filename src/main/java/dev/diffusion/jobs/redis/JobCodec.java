package dev.diffusion.jobs.redis;

import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobEvent;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Jobs and events as JSON in Redis. Unknown fields are ignored, so that instances of two versions can share one
 * Redis during a rolling upgrade.
 */
final class JobCodec {

    private final JsonMapper json = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    String write(Job job) {
        return json.writeValueAsString(job);
    }

    Job readJob(String text) {
        return json.readValue(text, Job.class);
    }

    String write(JobEvent event) {
        return json.writeValueAsString(event);
    }

    JobEvent readEvent(String text) {
        return json.readValue(text, JobEvent.class);
    }
}
