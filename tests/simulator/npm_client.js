// Drives the simulator with Octopus's own npm client (@octopusdeploy/api-client), unchanged,
// and prints what it saw as one JSON document. Usage: node npm_client.js URL API_KEY
"use strict";

const {
  Client,
  DeploymentRepository,
  EnvironmentRepository,
  ProjectRepository,
  ReleaseRepository,
  ServerTaskWaiter,
  SpaceRepository,
  TenantRepository,
} = require("@octopusdeploy/api-client");

async function main() {
  const [instanceURL, apiKey] = process.argv.slice(2);
  const client = await Client.create({ instanceURL, apiKey, userAgentApp: "octosim-compatibility" });
  const space = "Default";
  const out = {};

  out.spaces = (await new SpaceRepository(client).list({ take: 100 })).Items.map((s) => s.Name);
  const projects = await new ProjectRepository(client, space).list({ take: 100 });
  out.projects = projects.Items.map((p) => p.Name);
  const environments = await new EnvironmentRepository(client, space).list({ take: 100 });
  out.environments = environments.Items.map((e) => e.Name);
  out.tenants = (await new TenantRepository(client, space).list({ take: 100 })).Items.map((t) => t.Name);

  const releases = new ReleaseRepository(client, space);
  const created = await releases.create({ spaceName: space, ProjectName: "Catalog", ReleaseVersion: "2.9.0" });
  out.release = created;
  const catalog = projects.Items.find((p) => p.Name === "Catalog");
  out.catalogReleases = (await releases.listForProject(catalog.Id)).Items.map((r) => r.Version);

  const deployments = new DeploymentRepository(client, space);
  const response = await deployments.create({
    spaceName: space, ProjectName: "Catalog", ReleaseVersion: "2.9.0", EnvironmentNames: ["Development"],
  });
  const tenanted = await deployments.createTenanted({
    spaceName: space, ProjectName: "Payments", ReleaseVersion: "0.9.0", EnvironmentName: "Staging",
    Tenants: ["Acme"], TenantTags: [],
  });
  const taskIds = response.DeploymentServerTasks.concat(tenanted.DeploymentServerTasks).map((t) => t.ServerTaskId);
  const waiter = new ServerTaskWaiter(client, space);
  const tasks = await waiter.waitForServerTasksToComplete(taskIds, 100, 30000);
  out.tasks = tasks.map((t) => ({ Id: t.Id, State: t.State, IsCompleted: t.IsCompleted }));
  const deployment = await deployments.get(response.DeploymentServerTasks[0].DeploymentId);
  out.deployment = { Id: deployment.Id, TaskId: deployment.TaskId, EnvironmentId: deployment.EnvironmentId };
  out.deploymentsListed = (await deployments.list({ take: 5 })).Items.length;

  try {
    await deployments.create({
      spaceName: space, ProjectName: "Catalog", ReleaseVersion: "2.9.0", EnvironmentNames: ["Production"],
    });
    out.blocked = null;
  } catch (error) {
    out.blocked = { statusCode: error.StatusCode, message: error.message };
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
