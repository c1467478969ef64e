package dev.diffusion.deploy;

import static dev.diffusion.deploy.DeployFiles.ROOT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.testing.ProgramsOnPath;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The alert rules: Prometheus's rule file shape with the chart's severities here; when each one fires is
 * deploy/prometheus/alerts_test.yml's to say, run by promtool where it is installed (Debian: prometheus).
 */
class AlertRulesTest {

    @Test
    void everyAlertHasAnExpressionADelayASeverityAndASummary() {
        Map<String, Object> rules = DeployFiles.yamlMap(DeployFiles.ALERTS);
        for (Object group : DeployFiles.list(rules.get("groups"))) {
            for (Object rule : DeployFiles.list(DeployFiles.map(group).get("rules"))) {
                Map<String, Object> alert = DeployFiles.map(rule);
                assertThat(alert).containsKeys("alert", "expr", "for");
                assertThat(DeployFiles.at(alert, "labels.severity")).isIn("warning", "critical");
                assertThat(DeployFiles.map(alert.get("annotations"))).containsKeys("summary", "description");
            }
        }
    }

    @Test
    void promtoolUnitTestsOfTheAlertsPass() throws Exception {
        Path promtool = ProgramsOnPath.require("promtool", "prometheus");

        Process run = new ProcessBuilder(promtool.toString(), "test", "rules", "deploy/prometheus/alerts_test.yml")
                .directory(ROOT.toFile()).redirectErrorStream(true).start();
        String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.waitFor(2, TimeUnit.MINUTES)).isTrue();

        assertThat(run.exitValue()).as(output).isZero();
        assertThat(output).contains("SUCCESS");
    }
}
