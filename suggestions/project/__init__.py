"""Project: the service that orchestrates the stages for one project, and the actions every front end calls."""
