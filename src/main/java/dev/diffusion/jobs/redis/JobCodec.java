package dev.diffusion.jobs.redis;

import dev.diffusion.image.PngEncoder;
import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobEvent;
import java.util.Base64;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Jobs and events as JSON in Redis. Unknown fields are ignored, so that instances of two versions can share one
 * Redis during a rolling upgrade; jobs stored before the job format had a version are read as version 1.
 */
final class JobCodec {

    private static final Logger log = LoggerFactory.getLogger(JobCodec.class);

    private final JsonMapper json = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    String write(Job job) {
        return json.writeValueAsString(job);
    }

    Job readJob(String text) {
        JsonNode node = json.readTree(text);
        if (node.has("request") && !node.has("spec")) {
            return json.treeToValue(fromUnversioned((ObjectNode) node), Job.class);
        }
        return json.treeToValue(node, Job.class);
    }

    String write(JobEvent event) {
        return json.writeValueAsString(event);
    }

    JobEvent readEvent(String text) {
        ObjectNode node = (ObjectNode) json.readTree(text);
        if (node.path("job").has("request")) {
            node.set("job", fromUnversioned((ObjectNode) node.get("job")));
        }
        if (!node.has("jobId") && node.path("job").isObject()) {
            // an event of an earlier release: the job it carries says which and how far
            JsonNode job = node.get("job");
            node.set("jobId", job.get("id"));
            node.set("step", job.get("step"));
            node.set("totalSteps", job.get("totalSteps"));
        }
        return json.treeToValue(node, JobEvent.class);
    }

    /**
     * A job as the service wrote it before the format had a version: {@code request: {model, generation, owner}}, the
     * init image as raw RGB and images as {@code png}. The init image becomes a PNG file, as a client could have sent.
     */
    private ObjectNode fromUnversioned(ObjectNode job) {
        log.info("reading job {} stored in the unversioned format of earlier releases", job.path("id").asString());
        JsonNode request = job.remove("request");
        ObjectNode generation = ((ObjectNode) request.get("generation")).deepCopy();
        ObjectNode spec = json.createObjectNode();
        spec.put("version", GenerationSpec.VERSION);
        spec.set("model", request.get("model"));
        for (String field : new String[] {"prompt", "negativePrompt", "width", "height", "steps", "guidanceScale",
            "guidanceRescale", "scheduler", "seed", "numImages", "eta"}) {
            spec.set(field, generation.get(field));
        }
        JsonNode rgb = generation.get("initImage");
        if (rgb != null && !rgb.isNull()) {
            byte[] png = PngEncoder.encode(generation.get("width").asInt(), generation.get("height").asInt(),
                    Base64.getDecoder().decode(rgb.asString()), Map.of());
            ObjectNode init = spec.putObject("initImage");
            init.put("file", png);
            init.set("strength", generation.get("strength"));
        }
        job.set("spec", spec);
        job.set("owner", request.get("owner"));
        for (JsonNode image : job.withArray("images")) {
            ObjectNode file = (ObjectNode) image;
            file.put("mediaType", "image/png");
            file.set("data", file.remove("png"));
        }
        return job;
    }
}
