int stepflow_server_anchor = 0;
