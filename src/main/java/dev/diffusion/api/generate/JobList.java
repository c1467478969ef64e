package dev.diffusion.api.generate;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** A page of {@code GET /jobs}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@Schema(description = "The caller's jobs, newest first")
public record JobList(
        List<JobView> jobs,
        @Schema(description = "Pass as cursor for the next page; null on the last page",
                example = "MTc2NDU4MzIwMDAwMDo2ZjFjMmUwYQ") String nextCursor) {
}
