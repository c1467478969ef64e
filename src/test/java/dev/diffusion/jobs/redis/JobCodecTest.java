package dev.diffusion.jobs.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.image.ImageDecoder;
import dev.diffusion.image.OutputFormat;
import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobEvent;
import dev.diffusion.jobs.JobImage;
import dev.diffusion.jobs.JobStatus;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Jobs in Redis: today's format round-trips, and jobs written by releases before the versioned format still read. */
class JobCodecTest {

    private final JobCodec codec = new JobCodec();

    @Test
    void aJobComesBackAsItWasWritten() {
        GenerationSpec spec = GenerationSpec.builder().model("shapes").prompt("a red circle").width(64).height(32)
                .steps(12).guidanceScale(2.5).scheduler("dpmpp_2m").seed(7).numImages(2)
                .initImage(new GenerationSpec.InitImage(new byte[] {9, 8, 7}, 0.5))
                .output(new GenerationSpec.Output(OutputFormat.WEBP, 80))
                .webhook(new GenerationSpec.Webhook("https://example.com/hooks?t=1", List.of("started", "succeeded")))
                .build();
        Job job = new Job("j1", JobStatus.SUCCEEDED, spec, "owner-1", Instant.parse("2026-12-01T10:00:00Z"),
                Instant.parse("2026-12-01T10:00:01Z"), Instant.parse("2026-12-01T10:00:02Z"), 12, 12,
                List.of(new JobImage(0, 7, "image/webp", new byte[] {1, 2})), null);

        Job read = codec.readJob(codec.write(job));

        assertThat(read).usingRecursiveComparison().isEqualTo(job);
        assertThat(read.spec().version()).isEqualTo(GenerationSpec.VERSION);
    }

    @Test
    void anInpaintingJobComesBackAsItWasWritten() {
        GenerationSpec spec = GenerationSpec.builder().model("shapes").prompt("a red circle").width(64).height(64)
                .steps(12).scheduler("ddim").seed(7)
                .initImage(new GenerationSpec.InitImage(new byte[] {9, 8, 7}, 1.0, new GenerationSpec.Inpainting(
                        new byte[] {1, 2}, GenerationSpec.MaskMode.ALPHA, true, 8,
                        GenerationSpec.MaskedContent.LATENT_NOTHING, GenerationSpec.InpaintArea.MASKED, 16,
                        new GenerationSpec.Outpaint(32, 0, 0, 64, GenerationSpec.OutpaintFill.NOISE))))
                .build();
        Job job = new Job("j2", JobStatus.QUEUED, spec, null, Instant.parse("2026-12-01T10:00:00Z"), null, null, 0,
                12, List.of(), null);

        Job read = codec.readJob(codec.write(job));

        assertThat(read).usingRecursiveComparison().isEqualTo(job);
        assertThat(read.spec().inpainting()).isTrue();
    }

    /** A queued img2img job as the service stored it before inpainting: plain img2img, as it was. */
    @Test
    void anImg2ImgJobStoredBeforeInpaintingReadsWithoutInpainting() {
        String stored = """
                {"id":"v1-2","status":"QUEUED","spec":{"version":1,"model":"shapes","prompt":"a red circle",
                "negativePrompt":"","width":64,"height":64,"steps":20,"guidanceScale":2.5,"guidanceRescale":0.0,
                "scheduler":"ddim","seed":3,"numImages":1,"eta":0.0,"initImage":{"file":"AQID","strength":0.6},
                "output":{"format":"PNG","compression":100},"webhook":null},"owner":null,
                "createdAt":"2026-11-30T09:00:00Z","startedAt":null,"finishedAt":null,"step":0,"totalSteps":12,
                "images":[],"error":null}""";

        Job job = codec.readJob(stored);

        assertThat(job.spec().initImage().file()).containsExactly(1, 2, 3);
        assertThat(job.spec().initImage().strength()).isEqualTo(0.6);
        assertThat(job.spec().initImage().inpainting()).isNull();
        assertThat(job.spec().inpainting()).isFalse();
    }

    /**
     * A queued job of format version 1 as the service stored it before images had a choice of format and before
     * webhooks.
     */
    @Test
    void aJobStoredBeforeOutputFormatsAndWebhooksMakesPngsAndSendsNoWebhook() {
        String stored = """
                {"id":"v1-1","status":"QUEUED","spec":{"version":1,"model":"shapes","prompt":"a red circle",
                "negativePrompt":"","width":64,"height":64,"steps":20,"guidanceScale":2.5,"guidanceRescale":0.0,
                "scheduler":"dpmpp_2m","seed":3,"numImages":1,"eta":0.0,"initImage":null},"owner":null,
                "createdAt":"2026-11-30T09:00:00Z","startedAt":null,"finishedAt":null,"step":0,"totalSteps":20,
                "images":[],"error":null}""";

        Job job = codec.readJob(stored);

        assertThat(job.spec().output()).isEqualTo(GenerationSpec.Output.DEFAULT);
        assertThat(job.spec().output().format()).isEqualTo(OutputFormat.PNG);
        assertThat(job.spec().webhook()).isNull();
    }

    /** A running img2img job exactly as the service stored it before the job format had a version. */
    @Test
    void aJobStoredByAnEarlierReleaseIsReadWithItsInitImageAsAPng() {
        byte[] rgb = new byte[2 * 2 * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 20);
        }
        String unversioned = """
                {"id":"old-1","status":"RUNNING","request":{"model":"shapes","generation":{"prompt":"a blue square",
                "negativePrompt":"","width":2,"height":2,"steps":20,"guidanceScale":2.5,"guidanceRescale":0.0,
                "scheduler":"ddim","seed":42,"numImages":1,"eta":0.0,"initImage":"%s","strength":0.6},
                "owner":"3f2a9c"},"createdAt":"2026-11-30T09:00:00Z","startedAt":"2026-11-30T09:00:01Z",
                "finishedAt":null,"step":3,"totalSteps":12,"images":[],"error":null}"""
                .formatted(Base64.getEncoder().encodeToString(rgb));

        Job job = codec.readJob(unversioned);

        assertThat(job.owner()).isEqualTo("3f2a9c");
        assertThat(job.step()).isEqualTo(3);
        assertThat(job.spec().model()).isEqualTo("shapes");
        assertThat(job.spec().prompt()).isEqualTo("a blue square");
        assertThat(job.spec().initImage().strength()).isEqualTo(0.6);
        assertThat(ImageDecoder.decodeRgb(job.spec().initImage().file(), 2, 2, 4))
                .as("the raw pixels, now as the PNG a client could have sent").containsExactly(rgb);
    }

    @Test
    void aFinishedJobAndItsEventFromAnEarlierReleaseKeepTheirImages() {
        String unversioned = """
                {"id":"old-2","status":"SUCCEEDED","request":{"model":"shapes","generation":{"prompt":"x",
                "negativePrompt":"","width":64,"height":64,"steps":2,"guidanceScale":1.0,"guidanceRescale":0.0,
                "scheduler":"euler","seed":1,"numImages":1,"eta":0.0,"initImage":null,"strength":1.0},"owner":null},
                "createdAt":"2026-11-30T09:00:00Z","startedAt":"2026-11-30T09:00:01Z",
                "finishedAt":"2026-11-30T09:00:02Z","step":2,"totalSteps":2,
                "images":[{"index":0,"seed":1,"png":"AQID"}],"error":null}""";

        Job job = codec.readJob(unversioned);
        JobEvent event = codec.readEvent("{\"type\":\"succeeded\",\"job\":" + unversioned + ",\"preview\":null}");

        assertThat(job.spec().imageToImage()).isFalse();
        assertThat(job.images()).singleElement().satisfies(image -> {
            assertThat(image.mediaType()).isEqualTo("image/png");
            assertThat(image.data()).containsExactly(1, 2, 3);
        });
        assertThat(event.job().images().get(0).data()).containsExactly(1, 2, 3);
    }
}
