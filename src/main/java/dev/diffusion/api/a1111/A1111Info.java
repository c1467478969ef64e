package dev.diffusion.api.a1111;

import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Infotext;
import dev.diffusion.jobs.Job;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code info} of a txt2img or img2img answer, with the keys AUTOMATIC1111's {@code Processed.js()} writes, so
 * that clients reading the seeds or the infotexts from it find them. What this service does not have (face
 * restoration, VAE and model hashes) is null; {@code subseed} is echoed as it came, unused.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record A1111Info(
        String prompt,
        List<String> allPrompts,
        String negativePrompt,
        List<String> allNegativePrompts,
        long seed,
        List<Long> allSeeds,
        long subseed,
        List<Long> allSubseeds,
        double subseedStrength,
        int width,
        int height,
        String samplerName,
        double cfgScale,
        int steps,
        int batchSize,
        boolean restoreFaces,
        String faceRestorationModel,
        String sdModelName,
        String sdModelHash,
        String sdVaeName,
        String sdVaeHash,
        int seedResizeFromW,
        int seedResizeFromH,
        Double denoisingStrength,
        Map<String, Object> extraGenerationParams,
        int indexOfFirstImage,
        List<String> infotexts,
        List<String> styles,
        String jobTimestamp,
        int clipSkip,
        boolean isUsingInpaintingConditioning,
        String version) {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** A1111's job timestamp, taken here from the job's creation in UTC. */
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss")
            .withZone(ZoneOffset.UTC);

    /**
     * The info of a job: image i has seed + i; {@code made} says whether its images exist (an interrupted job has
     * none, and then no infotexts).
     */
    static A1111Info of(Job job, int batchSize, long subseed, boolean made) {
        GenerationSpec spec = job.spec();
        List<Long> seeds = LongStream.range(0, spec.numImages()).map(i -> spec.seed() + i).boxed().toList();
        List<Long> subseeds = LongStream.range(0, spec.numImages()).map(i -> subseed < 0 ? subseed : subseed + i)
                .boxed().toList();
        List<String> infotexts = made ? seeds.stream().map(seed -> Infotext.of(spec, seed)).toList() : List.of();
        return new A1111Info(spec.prompt(), Collections.nCopies(spec.numImages(), spec.prompt()),
                spec.negativePrompt(), Collections.nCopies(spec.numImages(), spec.negativePrompt()), spec.seed(),
                seeds, subseed, subseeds, 0, spec.width(), spec.height(), SamplerNames.samplerLabel(spec.scheduler()),
                spec.guidanceScale(), spec.steps(), batchSize, false, null, spec.model(), null, null, null, -1, -1,
                spec.imageToImage() ? spec.initImage().strength() : null,
                Map.of("Schedule type", SamplerNames.scheduleLabel(spec.scheduler())), 0, infotexts, List.of(),
                TIMESTAMP.format(job.createdAt()), 1, false, null);
    }

    String json() {
        return JSON.writeValueAsString(this);
    }
}
